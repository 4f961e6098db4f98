"""Reads of the village work teams, scoped by the user: the list with its filters, what is overdue (teams
not reviewed for more than 14 days, measures past their working-day deadline), the board panel and the
report figures."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shaobao.core.calendar import is_workday, local_tz
from shaobao.workteams.models import (
    OPEN_MEASURE_STATES,
    HouseholdVisit,
    Measure,
    MeasureState,
    VillageKind,
    WorkTeam,
    WorkTeamMember,
    private_q,
)

# The district reviews every team at least every two weeks.
REVIEW_INTERVAL_DAYS = 14
BOARD_ROWS = 8


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(local_tz()).date()


# --- overdue ------------------------------------------------------------------------------------


def review_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=REVIEW_INTERVAL_DAYS)


def review_overdue_q(now: dt.datetime | None = None) -> Q:
    """Active teams whose last review (or, never reviewed, their creation) is more than 14 days ago."""
    cutoff = review_cutoff(now)
    return Q(is_active=True) & (
        Q(last_reviewed_at__lt=cutoff) | Q(last_reviewed_at__isnull=True, created_at__lt=cutoff)
    )


def is_review_overdue(team: WorkTeam, now: dt.datetime | None = None) -> bool:
    return team.is_active and team.reviewed_or_created_at < review_cutoff(now)


def review_due_at(team: WorkTeam) -> dt.datetime:
    return team.reviewed_or_created_at + dt.timedelta(days=REVIEW_INTERVAL_DAYS)


def measure_overdue_q(now: dt.datetime | None = None, prefix: str = "") -> Q:
    """Open measures whose deadline (a working day) has passed; of active teams."""
    return Q(
        **{
            f"{prefix}state__in": OPEN_MEASURE_STATES,
            f"{prefix}due_on__lt": local_today(now),
            f"{prefix}team__is_active": True,
        }
    )


def working_days_late(due_on: dt.date, today: dt.date) -> int:
    """Working days between a deadline and today (0 when not late): what "3 working days overdue" counts."""
    n, day = 0, due_on
    while day < today:
        day += dt.timedelta(days=1)
        if is_workday(day):
            n += 1
    return n


# --- lists --------------------------------------------------------------------------------------


def teams_for(user) -> QuerySet[WorkTeam]:
    return WorkTeam.objects.visible_to(user).select_related("village", "street")


def with_figures(teams: QuerySet[WorkTeam], now: dt.datetime | None = None) -> QuerySet[WorkTeam]:
    """Each team with its active member count, open and overdue measures, and whether it is overdue."""
    today = local_today(now)
    return teams.annotate(
        member_count=Count("members", filter=Q(members__left_on__isnull=True), distinct=True),
        measure_count=Count("measures", distinct=True),
        measures_done=Count("measures", filter=Q(measures__state=MeasureState.DONE), distinct=True),
        measures_overdue=Count(
            "measures",
            filter=Q(measures__state__in=OPEN_MEASURE_STATES, measures__due_on__lt=today, is_active=True),
            distinct=True,
        ),
        review_overdue=Exists(WorkTeam.objects.filter(review_overdue_q(now), pk=OuterRef("pk"))),
    )


def filter_teams(
    teams: QuerySet[WorkTeam],
    *,
    street: str | None = None,
    village: str | None = None,
    kind: str | None = None,
    overdue: bool | None = None,
    active: bool | None = None,
    q: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    unit: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[WorkTeam]:
    """The list filters. Street and village are division codes (short or 12-digit); the period keeps the
    teams in the villages at any time between `date_from` and `date_to`; `unit` the teams where a present
    member was sent by that unit (its code, or `reserve` for the reserve pool)."""
    if street:
        teams = teams.filter(street__code=street.ljust(12, "0"))
    if village:
        teams = teams.filter(village__code=village.ljust(12, "0"))
    if kind:
        teams = teams.filter(kind=kind)
    if overdue:
        teams = teams.filter(review_overdue_q(now))
    if active is not None:
        teams = teams.filter(is_active=active)
    if q:
        q = q.strip()
        teams = teams.filter(
            Q(name__icontains=q) | Q(village__name__icontains=q) | Q(members__cadre__name__icontains=q)
        ).distinct()
    if date_from:
        teams = teams.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=date_from))
    if date_to:
        teams = teams.filter(starts_on__lte=date_to)
    if unit:
        sent = Q(cadre__unit__isnull=True) if unit == "reserve" else Q(cadre__unit__code=unit)
        present = WorkTeamMember.objects.filter(sent, left_on__isnull=True)
        teams = teams.filter(pk__in=present.values("team_id"))
    return teams


def visits_for(user, team: WorkTeam) -> QuerySet[HouseholdVisit]:
    """The team's household visits, or none when the user may not see them (unit staff)."""
    return HouseholdVisit.objects.filter(private_q(user, "team__"), team=team).select_related(
        "member", "member__cadre"
    )


def overdue_measures(user, now: dt.datetime | None = None) -> QuerySet[Measure]:
    return (
        Measure.objects.filter(measure_overdue_q(now), team__in=WorkTeam.objects.visible_to(user))
        .select_related("team", "team__village", "owner", "owner__cadre")
        .order_by("due_on", "id")
    )


def my_teams(user) -> QuerySet[WorkTeam]:
    """The teams the user sits on now (a deployed cadre's own team)."""
    if not getattr(user, "is_authenticated", False):
        return WorkTeam.objects.none()
    return WorkTeam.objects.filter(members__cadre__user_id=user.pk, members__left_on__isnull=True).distinct()


# --- the coordination board's panel ------------------------------------------------------------


def board_panel(user, now: dt.datetime | None = None) -> dict:
    """For the board's forces view: teams overdue for review and measures overdue (first rows, counts)."""
    now = now or timezone.now()
    today = local_today(now)
    teams = teams_for(user).filter(review_overdue_q(now)).order_by("last_reviewed_at", "created_at", "id")
    measures = overdue_measures(user, now)
    team_rows = list(teams[:BOARD_ROWS])
    for t in team_rows:
        t.days_since_review = (now - t.reviewed_or_created_at).days
    measure_rows = list(measures[:BOARD_ROWS])
    for m in measure_rows:
        m.working_days_late = working_days_late(m.due_on, today)
    return {
        "teams_overdue": team_rows,
        "teams_overdue_count": teams.count(),
        "measures_overdue": measure_rows,
        "measures_overdue_count": measures.count(),
        "active_teams": teams_for(user).filter(is_active=True).count(),
    }


# --- reports ------------------------------------------------------------------------------------


def report(user, now: dt.datetime | None = None) -> dict:
    """The figures of the reports page and the export, over the user's active teams:
    villages with a team by kind, teams per street (with overdue reviews and measures), review cadence."""
    now = now or timezone.now()
    today = local_today(now)
    teams = teams_for(user).filter(is_active=True)
    kinds = {
        row["kind"]: row
        for row in teams.values("kind").annotate(
            villages=Count("village", distinct=True), teams=Count("id", distinct=True)
        )
    }
    by_kind = [
        {
            "code": code,
            "label": label,
            "villages": kinds.get(code, {}).get("villages", 0),
            "teams": kinds.get(code, {}).get("teams", 0),
        }
        for code, label in VillageKind.choices
    ]
    measures = Measure.objects.filter(team__in=teams)
    per_street = {}
    for row in (
        teams.values("street_id", "street__name", "street__code")
        .annotate(
            teams=Count("id", distinct=True),
            overdue=Count("id", filter=review_overdue_q(now), distinct=True),
        )
        .order_by("street__code")
    ):
        per_street[row["street_id"]] = {
            "code": row["street__code"],
            "name": row["street__name"],
            "teams": row["teams"],
            "review_overdue": row["overdue"],
            "measures": 0,
            "done": 0,
            "measures_overdue": 0,
            "visits": 0,
        }
    for row in measures.values("team__street_id").annotate(
        n=Count("id"),
        done=Count("id", filter=Q(state=MeasureState.DONE)),
        late=Count("id", filter=Q(state__in=OPEN_MEASURE_STATES, due_on__lt=today)),
    ):
        s = per_street.get(row["team__street_id"])
        if s:
            s.update(measures=row["n"], done=row["done"], measures_overdue=row["late"])
    for row in (
        HouseholdVisit.objects.filter(private_q(user, "team__"), team__in=teams)
        .values("team__street_id")
        .annotate(n=Count("id"))
    ):
        s = per_street.get(row["team__street_id"])
        if s:
            s["visits"] = row["n"]
    streets = list(per_street.values())
    return {
        "by_kind": by_kind,
        "streets": streets,
        "cadence": review_cadence(teams, now),
        "totals": {
            "teams": sum(s["teams"] for s in streets),
            "villages": teams.values("village").distinct().count(),
            "review_overdue": sum(s["review_overdue"] for s in streets),
            "measures": sum(s["measures"] for s in streets),
            "done": sum(s["done"] for s in streets),
            "measures_overdue": sum(s["measures_overdue"] for s in streets),
            "visits": sum(s["visits"] for s in streets),
        },
    }


CADENCE_BANDS = ((0, 7), (8, 14), (15, 28), (29, None))


def review_cadence(teams: QuerySet[WorkTeam], now: dt.datetime | None = None) -> dict:
    """How recently each team was reviewed (days since the last review, or since creation), in bands, and
    the mean interval between consecutive reviews over the teams' history."""
    now = now or timezone.now()
    bands = [0] * len(CADENCE_BANDS)
    for last, created in teams.values_list("last_reviewed_at", "created_at"):
        days = (now - (last or created)).days
        for i, (lo, hi) in enumerate(CADENCE_BANDS):
            if days >= lo and (hi is None or days <= hi):
                bands[i] += 1
                break
    from shaobao.workteams.models import TeamReview

    gaps: list[float] = []
    previous: dict[int, dt.datetime] = {}
    for team_id, at in (
        TeamReview.objects.filter(team__in=teams)
        .order_by("team_id", "reviewed_at")
        .values_list("team_id", "reviewed_at")
    ):
        if team_id in previous:
            gaps.append((at - previous[team_id]).total_seconds() / 86400)
        previous[team_id] = at
    return {
        "bands": [{"lo": lo, "hi": hi, "teams": n} for (lo, hi), n in zip(CADENCE_BANDS, bands, strict=True)],
        "mean_interval_days": round(sum(gaps) / len(gaps), 1) if gaps else None,
        "reviews": TeamReview.objects.filter(team__in=teams).count(),
    }


# --- the district's forms --------------------------------------------------------------------------


def district_prefix(user) -> str:
    """The district (code prefix) whose teams the user sends and changes, or "" (not a district decider)."""
    from shaobao.intake import people

    if getattr(user, "is_superuser", False):
        from shaobao.org.models import Division

        first = Division.objects.filter(level="district").order_by("code").first()
        return first.prefix if first else ""
    prefixes = sorted(people.district_prefixes(user))
    return prefixes[0] if prefixes else ""


def villages_of(prefix: str):
    from shaobao.org.models import Division

    return (
        Division.objects.filter(level="community", code__startswith=prefix)
        .select_related("parent")
        .order_by("code")
    )


def free_cadres(prefix: str) -> list:
    """The district's active cadres on no active team, each with a `label` (name · unit or reserve pool)."""
    from django.utils.translation import gettext as _

    from shaobao.forces.models import Cadre

    seated = WorkTeamMember.objects.filter(left_on__isnull=True).values("cadre_id")
    cadres = list(
        Cadre.objects.filter(is_active=True, district__code__startswith=prefix)
        .exclude(pk__in=seated)
        .select_related("unit")
        .order_by("name", "id")
    )
    for c in cadres:
        c.label = f"{c.name} · {c.unit.name if c.unit_id else _('reserve pool')}"
    return cadres
