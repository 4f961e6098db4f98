"""Reads of forces sent down, scoped by `access.deployments_visible_to`: lists with filters, a unit's quota
fulfilment, presence rates, coverage, assessment results, the reserve pool and the village posts.

Figures are aggregate queries (GROUP BY) over the visible deployments, so the pages do not read every row.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

from django.db.models import Avg, Count, Q
from django.utils import timezone

from shaobao.core.calendar import is_workday
from shaobao.forces import access
from shaobao.forces.models import (
    AssessmentRound,
    Cadre,
    CadreScore,
    CadreTask,
    Deployment,
    DeploymentMode,
    PresenceLog,
    Quota,
    TaskState,
    VillagePost,
    active_on_q,
    overlaps_q,
)
from shaobao.org.models import Division
from shaobao.org.scoping import district_of, scope_of

MODE_CODES = tuple(DeploymentMode.values)


# --- lists -------------------------------------------------------------------------------------------


def filter_deployments(
    qs,
    *,
    host: str | None = None,
    unit: str | None = None,
    mode: str | None = None,
    starts: dt.date | None = None,
    ends: dt.date | None = None,
    active: str | None = None,
    q: str | None = None,
):
    """Plain filters on codes (an unknown code matches nothing). `host` is a division code: the host and
    everything under it. `starts`..`ends`: deployments running on at least one day of the period."""
    if host:
        division = Division.objects.filter(code=Division.full_code(host)).first()
        qs = qs.filter(host__code__startswith=division.prefix) if division else qs.none()
    if unit:
        qs = qs.filter(unit__code=unit) if unit != "reserve" else qs.filter(unit__isnull=True)
    if mode:
        qs = qs.filter(mode=mode)
    if starts or ends:
        qs = qs.filter(overlaps_q(starts or dt.date.min, ends or dt.date.max))
    today = timezone.localdate()
    if active == "active":
        qs = qs.filter(active_on_q(today))
    elif active == "ended":
        qs = qs.filter(ends_on__lt=today)
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(cadre__name__icontains=q)
            | Q(post__icontains=q)
            | Q(host_enterprise__icontains=q)
            | Q(host__name=q)
        )
    return qs


def deployment_list(user, **filters):
    qs = access.deployments_visible_to(user).select_related("cadre", "host", "unit")
    return filter_deployments(qs, **filters).order_by("-starts_on", "-id")


def assessable_deployments(
    user, host: Division, starts_on: dt.date, ends_on: dt.date, limit: int = 300
) -> list:
    """The deployments a host's assessment round scores: at the host (a street: and its villages and
    communities) on at least one day of the period, as far as `user` sees them."""
    under = Q(host=host) | Q(host__parent=host) if host.level == "street" else Q(host=host)
    return list(
        access.deployments_visible_to(user)
        .filter(under, overlaps_q(starts_on, ends_on))
        .select_related("cadre", "unit", "host")
        .order_by("host__code", "cadre__name")[:limit]
    )


def hosts_for(user):
    """Streets and villages a user's pickers offer as hosts (the district's, or the street's own)."""
    scope = scope_of(user)
    qs = Division.objects.filter(level__in=["street", "community"])
    if scope.is_superuser:
        return qs.order_by("code")
    q = Q(pk__in=[])
    if scope.is_district or scope.is_unit:
        q |= scope.code_q("code", district_wide=True)
    for street in Division.objects.filter(pk__in=scope.street_ids):
        q |= Q(code__startswith=street.prefix)
    return qs.filter(q).order_by("code")


def cadres_for(user, *, reserve: bool | None = None, skill: str = "", q: str = ""):
    """Cadres a user may deploy or look up: the district's for district roles; a unit's own for its staff."""
    scope = scope_of(user)
    qs = Cadre.objects.filter(is_active=True).select_related("unit")
    if not scope.is_superuser:
        cond = Q(pk__in=[])
        if scope.is_district:
            cond |= scope.code_q("district__code", district_wide=True)
        if scope.unit_ids:
            cond |= Q(unit_id__in=scope.unit_ids)
        if scope.is_street:  # the host looks up the reserve pool to ask for someone
            cond |= Q(in_reserve=True) & scope.code_q("district__code", district_wide=True)
        qs = qs.filter(cond)
    if reserve is not None:
        qs = qs.filter(in_reserve=reserve)
    for word in (skill or "").replace("，", " ").replace(",", " ").split():
        qs = qs.filter(skills__icontains=word)
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(title__icontains=q.strip()))
    return qs.order_by("name", "id")


def reserve_pool(user, *, skill: str = "", q: str = "", free: bool = False):
    """The reserve pool, with whether each cadre is deployed today."""
    qs = cadres_for(user, reserve=True, skill=skill, q=q)
    busy = Deployment.objects.filter(active_on_q(timezone.localdate())).values("cadre_id")
    if free:
        qs = qs.exclude(pk__in=busy)
    return qs.annotate(
        deployed=Count("deployments", filter=active_on_q(timezone.localdate(), "deployments__"))
    )


def skill_counts(user, limit: int = 20) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for skills in cadres_for(user, reserve=True).values_list("skills", flat=True):
        for s in (skills or "").replace("，", ",").replace("、", ",").split(","):
            if s.strip():
                counts[s.strip()] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def village_posts(user, *, vacant_only: bool = False, street: str = ""):
    """Village posts of the user's territory, each with the deployment filling it today (None: vacant)."""
    scope = scope_of(user)
    qs = VillagePost.objects.filter(is_active=True).select_related("village", "village__parent")
    if not scope.is_superuser:
        q = Q(pk__in=[])
        if scope.is_district or scope.is_unit:
            q |= scope.code_q("village__code", district_wide=True)
        for s in Division.objects.filter(pk__in=scope.street_ids):
            q |= Q(village__code__startswith=s.prefix)
        qs = qs.filter(q)
    if street:
        division = Division.objects.filter(code=Division.full_code(street)).first()
        qs = qs.filter(village__code__startswith=division.prefix) if division else qs.none()
    today = timezone.localdate()
    filled = {
        d.village_post_id: d
        for d in Deployment.objects.filter(village_post__in=qs.values("pk"))
        .filter(active_on_q(today))
        .select_related("cadre", "unit")
    }
    rows = [{"post": p, "deployment": filled.get(p.pk)} for p in qs]
    if vacant_only:
        rows = [r for r in rows if r["deployment"] is None]
    return rows


def tasks_for_host(user, deployment: Deployment):
    return deployment.tasks.select_related("demand", "whistle").prefetch_related("notes")


def my_tasks(user):
    return (
        CadreTask.objects.filter(deployment__cadre__user=user)
        .select_related("deployment", "deployment__host", "demand", "whistle")
        .order_by("state", "-assigned_at")
    )


def host_tasks(user, *, state: str = ""):
    """Tasks given by the streets the user commands (dispatcher, leader), newest first."""
    qs = CadreTask.objects.filter(deployment__in=access.deployments_visible_to(user)).select_related(
        "deployment", "deployment__cadre", "deployment__host", "demand", "whistle"
    )
    if state in TaskState.values:
        qs = qs.filter(state=state)
    return qs.order_by("state", "-assigned_at")


def presence_this_month(user, cadre: Cadre) -> list[PresenceLog]:
    today = timezone.localdate()
    return list(PresenceLog.objects.filter(cadre=cadre, day__gte=today.replace(day=1)).order_by("-day"))


# --- quota fulfilment ---------------------------------------------------------------------------------


def workdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def quota_fulfilment(quota: Quota, *, today: dt.date | None = None) -> dict:
    """How far the unit kept its promise so far: the average number of its cadres present on a working
    day of the quota's period (up to today), against share × staff. `rate` ≥ 1 is met."""
    today = today or timezone.localdate()
    last = min(quota.ends_on, today)
    days = workdays(quota.starts_on, last) if last >= quota.starts_on else []
    required = quota.required_per_day
    if not days:
        return {"quota": quota, "days": 0, "present": 0, "average": None, "required": required, "rate": None}
    present = PresenceLog.objects.filter(deployment__unit_id=quota.unit_id, day__in=days).count()
    average = present / len(days)
    rate = average / required if required else None
    return {
        "quota": quota,
        "days": len(days),
        "present": present,
        "average": average,
        "required": required,
        "rate": rate,
        "met": rate is not None and rate >= 1,
    }


def quotas_for(user):
    scope = scope_of(user)
    qs = Quota.objects.select_related("unit")
    if not scope.is_superuser:
        q = Q(pk__in=[])
        if scope.is_district:
            q |= scope.code_q("unit__division__code", district_wide=True)
        if scope.unit_ids:
            q |= Q(unit_id__in=scope.unit_ids)
        qs = qs.filter(q)
    return qs.order_by("-starts_on", "unit__code")


# --- reports -------------------------------------------------------------------------------------------


def _street_key(row: dict) -> int:
    return row["host_id"] if row["host__level"] == "street" else row["host__parent_id"]


def coverage(user, day: dt.date | None = None) -> dict:
    """Cadres deployed on `day` (today): per host street, per mode, per unit; villages with a cadre."""
    day = day or timezone.localdate()
    qs = access.deployments_visible_to(user).filter(active_on_q(day))
    rows = list(
        qs.values("host_id", "host__level", "host__parent_id", "mode", "unit_id").annotate(n=Count("id"))
    )
    by_street: dict[int, int] = defaultdict(int)
    by_mode: dict[str, int] = dict.fromkeys(MODE_CODES, 0)
    by_unit: dict[int | None, int] = defaultdict(int)
    villages = set()
    for r in rows:
        by_street[_street_key(r)] += r["n"]
        by_mode[r["mode"]] = by_mode.get(r["mode"], 0) + r["n"]
        by_unit[r["unit_id"]] += r["n"]
        if r["host__level"] == "community":
            villages.add(r["host_id"])
    streets = {s.pk: s for s in Division.objects.filter(pk__in=by_street)}
    from shaobao.org.models import Unit

    units = {u.pk: u for u in Unit.objects.filter(pk__in=[k for k in by_unit if k])}
    district = district_of(user)
    total_villages = (
        Division.objects.filter(level="community", code__startswith=district.prefix).count()
        if district
        else 0
    )
    mode_labels = dict(DeploymentMode.choices)
    return {
        "day": day,
        "total": sum(by_mode.values()),
        "by_street": sorted(
            ({"street": streets[k], "count": v} for k, v in by_street.items() if k in streets),
            key=lambda r: r["street"].code,
        ),
        "by_mode": [{"mode": m, "label": mode_labels[m], "count": by_mode.get(m, 0)} for m in MODE_CODES],
        "by_unit": sorted(
            ({"unit": units.get(k), "count": v} for k, v in by_unit.items()), key=lambda r: -r["count"]
        ),
        "villages_covered": len(villages),
        "villages_total": total_villages,
    }


def presence_rates(user, first: dt.date, last: dt.date) -> dict:
    """Presence over first..last (up to today): logged days / working days deployed, per street and unit."""
    last = min(last, timezone.localdate())
    days = workdays(first, last) if last >= first else []
    empty = {
        "first": first,
        "last": last,
        "expected": 0,
        "present": 0,
        "rate": None,
        "by_street": [],
        "by_unit": [],
    }
    if not days:
        return empty
    qs = access.deployments_visible_to(user).filter(overlaps_q(first, last))
    expected_street: dict[int, int] = defaultdict(int)
    expected_unit: dict[int | None, int] = defaultdict(int)
    key_of = {}
    for r in qs.values("id", "host_id", "host__level", "host__parent_id", "unit_id", "starts_on", "ends_on"):
        lo = bisect.bisect_left(days, max(r["starts_on"], first))
        hi = bisect.bisect_right(days, min(r["ends_on"] or last, last))
        n = max(0, hi - lo)
        street = _street_key(r)
        expected_street[street] += n
        expected_unit[r["unit_id"]] += n
        key_of[r["id"]] = (street, r["unit_id"])
    present_street: dict[int, int] = defaultdict(int)
    present_unit: dict[int | None, int] = defaultdict(int)
    logs = (
        PresenceLog.objects.filter(deployment__in=qs.values("pk"), day__in=days)
        .values("deployment_id")
        .annotate(n=Count("id"))
    )
    for r in logs:
        street, unit = key_of.get(r["deployment_id"], (None, None))
        present_street[street] += r["n"]
        present_unit[unit] += r["n"]
    from shaobao.org.models import Unit

    streets = {s.pk: s for s in Division.objects.filter(pk__in=expected_street)}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[k for k in expected_unit if k])}

    def rate(p, e):
        return p / e if e else None

    expected, present = sum(expected_street.values()), sum(present_street.values())
    return {
        "first": first,
        "last": last,
        "expected": expected,
        "present": present,
        "rate": rate(present, expected),
        "by_street": sorted(
            (
                {
                    "street": streets[k],
                    "expected": e,
                    "present": present_street[k],
                    "rate": rate(present_street[k], e),
                }
                for k, e in expected_street.items()
                if k in streets
            ),
            key=lambda r: r["street"].code,
        ),
        "by_unit": sorted(
            (
                {
                    "unit": units.get(k),
                    "expected": e,
                    "present": present_unit[k],
                    "rate": rate(present_unit[k], e),
                }
                for k, e in expected_unit.items()
            ),
            key=lambda r: (r["rate"] is None, -(r["rate"] or 0)),
        ),
    }


def assessment_results(user, first: dt.date | None = None, last: dt.date | None = None) -> dict:
    """Rounds visible to the user (overlapping the period), with their average; averages per unit."""
    rounds = access.rounds_visible_to(user)
    if first and last:
        rounds = rounds.filter(starts_on__lte=last, ends_on__gte=first)
    rounds = list(
        AssessmentRound.objects.filter(pk__in=rounds.values("pk"))
        .select_related("host")
        .annotate(average=Avg("scores__score"), cadres=Count("scores", distinct=True))
        .order_by("-ends_on", "-id")
    )
    per_unit = list(
        CadreScore.objects.filter(round__in=[r.pk for r in rounds])
        .values("unit_id", "unit__name")
        .annotate(average=Avg("score"), cadres=Count("id"))
        .order_by("-average")
    )
    return {"rounds": rounds, "per_unit": per_unit}


def host_scores(unit_ids: set[int], first: dt.date, last: dt.date) -> dict[int, float]:
    """The average score the hosts gave a unit's cadres in rounds overlapping first..last."""
    rows = (
        CadreScore.objects.filter(unit_id__in=unit_ids, round__starts_on__lte=last, round__ends_on__gte=first)
        .values("unit_id")
        .annotate(average=Avg("score"))
    )
    return {r["unit_id"]: float(r["average"]) for r in rows}


def round_detail(round_: AssessmentRound) -> dict:
    assessors = list(round_.assessors.all())
    grassroots = sum(1 for a in assessors if a.is_grassroots)
    return {
        "round": round_,
        "assessors": assessors,
        "grassroots": grassroots,
        "scores": list(round_.scores.select_related("deployment", "deployment__cadre", "unit")),
    }


def board_panel(user, district) -> dict:
    """The coordination board's forces panel: today's coverage and this month's presence."""
    today = timezone.localdate()
    return {
        "forces_coverage": coverage(user, today),
        "forces_presence": presence_rates(user, today.replace(day=1), today),
        "forces_vacant_posts": sum(1 for r in village_posts(user) if r["deployment"] is None),
    }
