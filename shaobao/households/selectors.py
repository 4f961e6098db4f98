"""Reads of grids and households, scoped by `access.reach(user)`.

Figures of grid workers: their patrol reports are intake's `grid_patrol` demands they created; a report is
handled on time when it was handled (by the street) or closed no later than its due time. Every figure is an
aggregate query (GROUP BY): the cost does not grow with the number of rows shown.

The emergency board counts, per grid of the broadcast's streets, the households and persons reached (warned
or moved), moved, missing (not found) and not yet confirmed; a household's latest word counts once: moved
over warned over missing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from shaobao.core.errors import NotFound
from shaobao.households import access
from shaobao.households.models import (
    BroadcastReach,
    GridWorker,
    Household,
    HouseholdGroup,
    HouseholdTap,
    TapState,
)
from shaobao.intake.models import Channel, Demand
from shaobao.org.models import Division, Grid
from shaobao.platform.models import Broadcast

FIGURE_DAYS = 90


def period(date_from: dt.date | None = None, date_to: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or (date_to - dt.timedelta(days=FIGURE_DAYS - 1))
    return date_from, date_to


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


# --- grids and workers ------------------------------------------------------------------------------


def streets_for(user):
    r = access.reach(user)
    streets = Division.objects.filter(level="street")
    if r.everything:
        return streets.order_by("code")
    q = Q(pk__in=r.street_ids | r.worker_street_ids)
    for p in r.district_prefixes:
        q |= Q(code__startswith=p)
    return streets.filter(q).order_by("code")


def grids_for(user, *, street: str = "", q: str = ""):
    r = access.require_grids_viewer(user)
    qs = Grid.objects.filter(access.grids_q(r)).select_related("community__parent")
    if street:
        qs = qs.filter(community__parent__code=Division.full_code(street))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.annotate(
        full_time=Count(
            "workers", filter=Q(workers__is_active=True, workers__kind="full_time"), distinct=True
        ),
        part_time=Count(
            "workers", filter=Q(workers__is_active=True, workers__kind="part_time"), distinct=True
        ),
        micro=Count("micro_grids", distinct=True),
    ).order_by("code")


def _report_figures(key: str, filters: Q, date_from: dt.date, date_to: dt.date) -> dict:
    """{key value: {"reports", "done", "due", "on_time"}} of grid-patrol demands."""
    start, end = _bounds(date_from, date_to)
    now = timezone.now()
    done_at = Coalesce("handled_at", "closed_at")
    done = Q(handled_at__isnull=False) | Q(closed_at__isnull=False)
    rows = (
        Demand.objects.filter(
            filters, channel=Channel.GRID_PATROL, received_at__gte=start, received_at__lt=end
        )
        .annotate(done_at=done_at)
        .values(key)
        .annotate(
            reports=Count("id"),
            done=Count("id", filter=done),
            due=Count("id", filter=Q(due_at__isnull=False) & (done | Q(due_at__lt=now))),
            on_time=Count("id", filter=Q(due_at__isnull=False, done_at__lte=F("due_at"))),
        )
    )
    return {row[key]: row for row in rows}


def rate(on_time: int, due: int) -> float | None:
    return round(100.0 * on_time / due, 1) if due else None


def grid_figures(grids: list, date_from: dt.date, date_to: dt.date) -> dict[int, dict]:
    """Per grid: patrol reports by its workers (as reporters, wherever placed) and their on-time handling, and
    the number of households and groups (counts only)."""
    ids = [g.pk for g in grids]
    posts = GridWorker.objects.filter(grid_id__in=ids).values_list("grid_id", "user_id")
    users_by_grid: dict[int, set[int]] = {}
    for grid_id, user_id in posts:
        users_by_grid.setdefault(grid_id, set()).add(user_id)
    all_users = set().union(*users_by_grid.values()) if users_by_grid else set()
    by_user = _report_figures("created_by_id", Q(created_by_id__in=all_users), date_from, date_to)
    households = dict(
        Household.objects.filter(grid_id__in=ids, is_active=True)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    groups = dict(
        HouseholdGroup.objects.filter(grid_id__in=ids)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    out = {}
    for gid in ids:
        totals = {"reports": 0, "done": 0, "due": 0, "on_time": 0}
        for uid in users_by_grid.get(gid, ()):
            for k in totals:
                totals[k] += by_user.get(uid, {}).get(k, 0)
        totals["rate"] = rate(totals["on_time"], totals["due"])
        totals["households"] = households.get(gid, 0)
        totals["groups"] = groups.get(gid, 0)
        out[gid] = totals
    return out


def workers_for(user, *, street: str = "", grid: str = "", kind: str = "", q: str = "", active: bool = True):
    r = access.require_grids_viewer(user)
    qs = GridWorker.objects.filter(access.street_q(r)).select_related("user", "grid", "micro_grid", "street")
    if active:
        qs = qs.filter(is_active=True)
    if street:
        qs = qs.filter(street__code=Division.full_code(street))
    if grid:
        qs = qs.filter(grid__code=grid)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
        )
    return qs.order_by("grid__code", "user__username")


def worker_figures(workers: list, date_from: dt.date, date_to: dt.date) -> dict[int, dict]:
    """Per worker (GridWorker id): their patrol reports in the period and the on-time rate of their handling."""
    figures = _report_figures(
        "created_by_id", Q(created_by_id__in={w.user_id for w in workers}), date_from, date_to
    )
    out = {}
    for w in workers:
        f = figures.get(w.user_id, {})
        row = {k: f.get(k, 0) for k in ("reports", "done", "due", "on_time")}
        row["rate"] = rate(row["on_time"], row["due"])
        out[w.pk] = row
    return out


# --- households --------------------------------------------------------------------------------------


def households_for(user, *, grid: str = "", group: str = "", street: str = "", q: str = ""):
    from shaobao.households import privacy

    r = access.require_household_viewer(user)
    qs = Household.objects.filter(access.households_q(r), is_active=True).select_related(
        "grid", "street", "group", "micro_grid"
    )
    if grid:
        qs = qs.filter(grid__code=grid)
    if street:
        qs = qs.filter(street__code=Division.full_code(street))
    if group:
        try:
            qs = qs.filter(group_id=int(group))
        except (TypeError, ValueError):
            return qs.none()
    if q:
        qs = qs.filter(privacy.search_q(user, q))
    return qs.order_by("grid__code", "address", "id")


def groups_for(user, *, grid: str = "", street: str = "", q: str = ""):
    r = access.require_household_viewer(user)
    qs = (
        HouseholdGroup.objects.filter(access.groups_q(r))
        .select_related("grid", "street", "lead", "lead_user")
        .annotate(
            size=Count("households", filter=Q(households__is_active=True)),
            persons=Coalesce(Sum("households__persons", filter=Q(households__is_active=True)), 0),
        )
    )
    if grid:
        qs = qs.filter(grid__code=grid)
    if street:
        qs = qs.filter(street__code=Division.full_code(street))
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("grid__code", "name", "id")


def household_counts(user) -> list[dict]:
    """Counts per street (the district's only view of households): households, persons, groups, grouped."""
    r = access.require_grids_viewer(user)
    rows = (
        Household.objects.filter(access.street_q(r), is_active=True)
        .values("street_id", "street__code", "street__name")
        .annotate(
            households=Count("id"),
            persons=Coalesce(Sum("persons"), 0),
            grouped=Count("id", filter=Q(group__isnull=False)),
        )
        .order_by("street__code")
    )
    groups = dict(
        HouseholdGroup.objects.filter(access.street_q(r))
        .values("street_id")
        .annotate(n=Count("id"))
        .values_list("street_id", "n")
    )
    return [
        {
            "code": row["street__code"],
            "name": row["street__name"],
            "households": row["households"],
            "persons": row["persons"],
            "grouped": row["grouped"],
            "groups": groups.get(row["street_id"], 0),
        }
        for row in rows
    ]


# --- emergencies -------------------------------------------------------------------------------------


def covered_street_ids(broadcast: Broadcast) -> set[int]:
    """The streets a broadcast went to: those chosen, or every street of its district."""
    cached = getattr(broadcast, "_covered_streets", None)
    if cached is not None:
        return cached
    chosen = set(broadcast.streets.values_list("pk", flat=True))
    if not chosen:
        chosen = set(
            Division.objects.filter(level="street", code__startswith=broadcast.district.prefix).values_list(
                "pk", flat=True
            )
        )
    broadcast._covered_streets = chosen
    return chosen


def _sees_broadcast(r: access.Reach, broadcast: Broadcast) -> bool:
    if r.everything or broadcast.district.prefix in r.district_prefixes:
        return True
    covered = covered_street_ids(broadcast)
    if (r.street_ids | r.worker_street_ids) & covered:
        return True
    if r.lead_group_ids:
        return HouseholdGroup.objects.filter(pk__in=r.lead_group_ids, street_id__in=covered).exists()
    return False


def reached_broadcast(user, pk) -> Broadcast:
    """A broadcast sent down to households, for the district, the staff of its streets and the groups' leads
    there; anyone else (or a broadcast not sent down): NotFound."""
    access.require_login(user)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("没有这条应急广播 / No such broadcast") from None
    broadcast = (
        Broadcast.objects.select_related("district", "sent_by", "household_reach").filter(pk=pk).first()
    )
    if broadcast is None or not hasattr(broadcast, "household_reach"):
        raise NotFound("没有这条应急广播 / No such broadcast")
    if not _sees_broadcast(access.reach(user), broadcast):
        raise NotFound("没有这条应急广播 / No such broadcast")
    return broadcast


def reached_broadcasts(user, limit: int = 20) -> list[Broadcast]:
    r = access.reach(user)
    candidates = (
        Broadcast.objects.filter(household_reach__isnull=False)
        .select_related("district", "household_reach")
        .prefetch_related("streets")
        .order_by("-sent_at", "-id")[:200]
    )
    return [b for b in candidates if _sees_broadcast(r, b)][:limit]


STATE_RANK = {TapState.MISSING: 1, TapState.WARNED: 2, TapState.MOVED: 3}


def household_states(broadcast: Broadcast, household_ids=None) -> dict[int, dict]:
    """{household id: {"state": best state, "warned": persons, "moved": persons, "missing": persons}}."""
    taps = HouseholdTap.objects.filter(broadcast=broadcast)
    if household_ids is not None:
        taps = taps.filter(household_id__in=household_ids)
    out: dict[int, dict] = {}
    for hid, state, persons in taps.values_list("household_id", "state", "persons"):
        row = out.setdefault(hid, {"state": "", "warned": None, "moved": None, "missing": None})
        row[state] = persons
        if STATE_RANK[state] > STATE_RANK.get(row["state"], 0):
            row["state"] = state
    return out


def board_households(user, broadcast: Broadcast):
    """The households whose figures this user sees on the board: the district all of the broadcast's streets
    (as counts only), a street's staff their street, a grid worker their grids, a lead their group."""
    r = access.reach(user)
    covered = covered_street_ids(broadcast)
    qs = Household.objects.filter(street_id__in=covered, is_active=True)
    if r.everything or broadcast.district.prefix in r.district_prefixes:
        return qs
    return qs.filter(access.households_q(r))


BOARD_KEYS = (
    "households",
    "persons",
    "reached",
    "reached_persons",
    "moved",
    "moved_persons",
    "missing",
    "missing_persons",
    "pending",
    "pending_persons",
)


def board(user, broadcast: Broadcast) -> dict:
    """Per grid and in total: households and persons; reached, moved, missing, not yet confirmed.

    One GROUP BY in the database (a district-wide alert covers hundreds of thousands of households and the
    board refreshes while the taps come in): each household joins its at most one tap per state."""
    households = board_households(user, broadcast).annotate(
        **{
            f"{state}_tap": FilteredRelation(
                "taps", condition=Q(taps__broadcast=broadcast, taps__state=state)
            )
            for state in TapState.values
        }
    )
    # A household's best word counts once: moved over warned over missing (no negation: NOT on a joined
    # row would turn into a subquery per condition).
    moved = Q(moved_tap__id__isnull=False)
    warned = Q(moved_tap__id__isnull=True, warned_tap__id__isnull=False)
    missing = Q(moved_tap__id__isnull=True, warned_tap__id__isnull=True, missing_tap__id__isnull=False)
    pending = Q(moved_tap__id__isnull=True, warned_tap__id__isnull=True, missing_tap__id__isnull=True)
    figures = (
        households.order_by()
        .values("grid_id")
        .annotate(
            n_households=Count("pk"),
            n_persons=Coalesce(Sum("persons"), 0),
            n_reached=Count("pk", filter=moved | warned),
            # Moved after a warning: the larger head count of the two.
            n_reached_persons=Coalesce(
                Sum(
                    Greatest(Coalesce("moved_tap__persons", 0), Coalesce("warned_tap__persons", 0)),
                    filter=moved,
                ),
                0,
            )
            + Coalesce(Sum("warned_tap__persons", filter=warned), 0),
            n_moved=Count("pk", filter=moved),
            n_moved_persons=Coalesce(Sum("moved_tap__persons", filter=moved), 0),
            n_missing=Count("pk", filter=missing),
            n_missing_persons=Coalesce(Sum("missing_tap__persons", filter=missing), 0),
            n_pending=Count("pk", filter=pending),
            n_pending_persons=Coalesce(Sum("persons", filter=pending), 0),
        )
    )
    # (n_: an annotation may not take the name of the field it sums)
    rows = {r["grid_id"]: {k: r[f"n_{k}"] for k in BOARD_KEYS} for r in figures}
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=rows).select_related("community__parent")}
    total = dict.fromkeys(BOARD_KEYS, 0)
    out = []
    for grid_id, row in rows.items():
        for k in BOARD_KEYS:
            total[k] += row[k]
        g = grids[grid_id]
        out.append({"grid": g, "code": g.code, "name": g.name, "street": g.community.parent.name, **row})
    out.sort(key=lambda row: row["code"])
    last = (
        HouseholdTap.objects.filter(broadcast=broadcast)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return {"rows": out, "total": total, "last_tap": last}


def tap_households(user, broadcast: Broadcast, *, grid: str = "", q: str = ""):
    """The households this user confirms on the tap page (by group, then address), with their states."""
    from shaobao.households import privacy

    r = access.require_household_viewer(user)
    qs = (
        Household.objects.filter(
            access.households_q(r), street_id__in=covered_street_ids(broadcast), is_active=True
        )
        .select_related("grid", "group")
        .order_by("grid__code", F("group__name").asc(nulls_last=True), "group_id", "address", "id")
    )
    if grid:
        qs = qs.filter(grid__code=grid)
    if q:
        qs = qs.filter(privacy.search_q(user, q))
    return qs


def reach_of(broadcast: Broadcast) -> BroadcastReach | None:
    return BroadcastReach.objects.filter(broadcast=broadcast).first()
