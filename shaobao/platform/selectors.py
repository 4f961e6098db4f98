"""Reads of the district coordination board (区级统筹平台): overdue board, workloads, hot spots, live map.

Every read is scoped to one district: the one the coordinator or administrator works in
(`board_district`). The overdue rule is `whistles.supervision.overdue_q` / `overdue_board`, never
re-stated here. Every figure is an aggregate query (GROUP BY), so the cost of the page does not grow with
the number of units, streets or summonses (only the paginated list reads rows).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from shaobao.core.errors import Forbidden
from shaobao.duties.models import Matter
from shaobao.intake import people
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.states import PROBLEM_OPEN_STATES
from shaobao.org.models import Division, Grid
from shaobao.org.scoping import district_of
from shaobao.whistles.models import (
    Summons,
    SummonsState,
    SupervisionKind,
    SupervisionOrder,
    Whistle,
    WhistleState,
)
from shaobao.whistles.states import OPEN_SUMMONS_STATES
from shaobao.whistles.supervision import overdue_board, overdue_q

OPEN_DEMAND_STATES = PROBLEM_OPEN_STATES
HOT_SPOT_DAYS = 30
HOT_SPOTS = 10
MAP_DAYS = 30
MAP_CAP = 2000
MAP_REFRESH_SECONDS = 30  # how often the open board page reloads map.json


def board_district(user) -> Division:
    """The district whose board the user sees; Forbidden for anyone but its coordinators/administrators.

    A user with district roles in several districts sees the first by code (one deployment serves one
    district); a superuser sees the first district."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("请先登录 / Please log in")
    prefixes = sorted(people.district_prefixes(user))
    if prefixes:
        district = Division.objects.filter(code=Division.full_code(prefixes[0])).first()
        if district is not None:
            return district
    if user.is_superuser:
        district = district_of(user)
        if district is not None:
            return district
    raise Forbidden("仅限区级统筹平台 / District coordinators and administrators only")


# --- overdue board (超期督办) -----------------------------------------------------------------------


def district_street_ids(district: Division) -> QuerySet:
    """The district's street ids, as a subquery (no query of its own)."""
    return Division.objects.filter(level="street", code__startswith=district.prefix).values("id")


def open_in_district(district: Division) -> Q:
    """Summonses still owed, of the district's whistles. An open summons belongs to a whistle not yet closed
    (feedback waits for every summons: whistles.states), so the district's open whistles are walked through
    their partial index (`whistle_open_street`), never the years of closed ones behind them (the code-prefix
    join made PostgreSQL walk the county's whole whistle history: 2 s for the board at 25 M demands)."""
    return Q(whistle__street_id__in=district_street_ids(district)) & ~Q(whistle__state=WhistleState.CLOSED)


def overdue_list(user, district: Division, *, now: dt.datetime | None = None) -> QuerySet:
    """Overdue summonses of the district, most overdue first (whistle, street, matter, unit, orders)."""
    return overdue_board(user, now=now).filter(open_in_district(district))


def overdue_summary(user, district: Division, *, now: dt.datetime | None = None) -> dict:
    """Counts of the overdue board: total, by kind of deadline, by unit, by street, and supervision orders."""
    now = now or timezone.now()
    base = overdue_list(user, district, now=now).prefetch_related(None).order_by()
    report_in_q = Q(state=SummonsState.SUMMONED, report_in_due__lte=now)
    totals = base.aggregate(
        total=Count("pk"),
        report_in=Count("pk", filter=report_in_q),
        oldest=Min("finish_due"),
    )
    by_unit = list(
        base.values("unit_id", "unit__name", "unit__code")
        .annotate(n=Count("pk"), report_in=Count("pk", filter=report_in_q), oldest=Min("report_in_due"))
        .order_by("-n", "unit__code")
    )
    by_street = list(
        base.values("whistle__street_id", "whistle__street__name", "whistle__street__code")
        .annotate(n=Count("pk"), units=Count("unit_id", distinct=True))
        .order_by("-n", "whistle__street__code")
    )
    orders = SupervisionOrder.objects.filter(
        resolved_at__isnull=True,
        summons__whistle__street__code__startswith=district.prefix,
        summons__in=Summons.objects.visible_to(user),
    ).aggregate(
        supervision=Count("pk", filter=Q(kind=SupervisionKind.SUPERVISION, escalated_at__isnull=True)),
        escalated=Count("pk", filter=Q(kind=SupervisionKind.ESCALATION)),
    )
    return {
        "total": totals["total"],
        "report_in": totals["report_in"],
        "finish": totals["total"] - totals["report_in"],
        "by_unit": by_unit,
        "by_street": by_street,
        "open_supervision_orders": orders["supervision"],
        "open_escalations": orders["escalated"],
    }


# --- workloads (工作量) ----------------------------------------------------------------------------


def unit_workloads(user, district: Division, *, now: dt.datetime | None = None) -> list[dict]:
    """Per unit: open summonses by state and how many are overdue (one GROUP BY)."""
    now = now or timezone.now()
    return list(
        Summons.objects.visible_to(user)
        .filter(open_in_district(district), state__in=OPEN_SUMMONS_STATES)
        .values("unit_id", "unit__name", "unit__code")
        .annotate(
            open=Count("pk"),
            summoned=Count("pk", filter=Q(state=SummonsState.SUMMONED)),
            disputed=Count("pk", filter=Q(state=SummonsState.DISPUTED)),
            reported_in=Count("pk", filter=Q(state=SummonsState.REPORTED_IN)),
            overdue=Count("pk", filter=overdue_q(now)),
        )
        .order_by("-open", "unit__code")
    )


def street_workloads(user, district: Division) -> list[dict]:
    """Per street of the district: open demands and open whistles (three queries whatever the size)."""
    streets = list(
        Division.objects.filter(level="street", code__startswith=district.prefix)
        .order_by("code")
        .values("id", "code", "name")
    )
    # The board's users see their whole district (board_district): its streets' rows, by street id (an OR
    # of visibility rules would keep PostgreSQL from the (street, state, received_at) index).
    ids = [s["id"] for s in streets]
    demands = dict(
        Demand.objects.filter(street_id__in=ids, state__in=OPEN_DEMAND_STATES)
        .order_by()
        .values_list("street_id")
        .annotate(n=Count("pk"))
    )
    whistles = dict(
        Whistle.objects.filter(street_id__in=ids)
        .exclude(state=WhistleState.CLOSED)
        .order_by()
        .values_list("street_id")
        .annotate(n=Count("pk"))
    )
    rows = [
        {**s, "open_demands": demands.get(s["id"], 0), "open_whistles": whistles.get(s["id"], 0)}
        for s in streets
    ]
    rows.sort(key=lambda r: (-(r["open_demands"] + r["open_whistles"]), r["code"]))
    return rows


# --- hot spots (热点) ------------------------------------------------------------------------------


def _top(rows: list[tuple], index: int, limit: int) -> list[tuple[int, int, str | None, int]]:
    """(place id, count, top matter id, its count) of the `limit` places with most rows."""
    counts = Counter(r[index] for r in rows if r[index] is not None)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    matters: dict[int, Counter] = defaultdict(Counter)
    wanted = {place for place, _n in top}
    for r in rows:
        if r[index] in wanted and r[2] is not None:
            matters[r[index]][r[2]] += 1
    out = []
    for place, n in top:
        # The most frequent matter; on a tie the first by name (resolved by the caller, which has names).
        best = matters[place].most_common()
        out.append(
            (place, n, [m for m, c in best if c == best[0][1]] if best else [], best[0][1] if best else 0)
        )
    return out


def hot_spots(
    user,
    district: Division,
    *,
    now: dt.datetime | None = None,
    days: int = HOT_SPOT_DAYS,
    limit: int = HOT_SPOTS,
) -> dict:
    """Communities and grids with most demands received in the last `days` days, with their top matter.

    The window's (community, grid, matter) triples are read once and counted here: one index range per street
    whatever the years behind the window (grouped queries filtered by place made PostgreSQL combine the
    place's whole history: 280 ms at 25 M demands). The board's users see their whole district."""
    now = now or timezone.now()
    rows = list(
        Demand.objects.filter(
            street_id__in=district_street_ids(district), received_at__gte=now - dt.timedelta(days=days)
        )
        .exclude(state=DemandState.MERGED)
        .order_by()
        .values_list("community_id", "grid_id", "matter_id")
    )
    communities = _top(rows, 0, limit)
    grids = _top(rows, 1, limit)
    matter_ids = {m for top in (communities, grids) for _p, _n, ms, _c in top for m in ms}
    matter_names = dict(Matter.objects.filter(pk__in=matter_ids).values_list("pk", "name"))
    places = {
        d.pk: d for d in Division.objects.filter(pk__in=[p for p, *_ in communities]).select_related("parent")
    }
    grid_rows = {
        g.pk: g for g in Grid.objects.filter(pk__in=[p for p, *_ in grids]).select_related("community")
    }

    def shaped(top, name_of, parent_of) -> list[dict]:
        out = []
        for place, n, matters, matter_count in top:
            names = sorted(matter_names.get(m, "") for m in matters)
            out.append(
                {
                    "id": place,
                    "name": name_of(place),
                    "parent": parent_of(place),
                    "count": n,
                    "top_matter": names[0] if names else "",
                    "top_matter_count": matter_count,
                }
            )
        return out

    return {
        "days": days,
        "communities": shaped(
            communities,
            lambda p: places[p].name if p in places else "",
            lambda p: places[p].parent.name if p in places and places[p].parent else "",
        ),
        "grids": shaped(
            grids,
            lambda p: grid_rows[p].name if p in grid_rows else "",
            lambda p: grid_rows[p].community.name if p in grid_rows else "",
        ),
    }


# --- live map (实时地图) ---------------------------------------------------------------------------


def map_points(
    user, district: Division, *, now: dt.datetime | None = None, days: int = MAP_DAYS, cap: int = MAP_CAP
) -> dict:
    """Open demands with coordinates received in the last `days` days, newest first, at most `cap`.

    Only what the map needs: no reporter name, phone, address or body."""
    now = now or timezone.now()
    rows = list(
        Demand.objects.visible_to(user)
        .filter(
            street__code__startswith=district.prefix,
            state__in=OPEN_DEMAND_STATES,
            lat__isnull=False,
            lng__isnull=False,
            received_at__gte=now - dt.timedelta(days=days),
        )
        .order_by("-received_at", "-pk")
        .values(
            "pk",
            "tracking_code",
            "lat",
            "lng",
            "state",
            "urgency",
            "received_at",
            "matter__name",
            "street__name",
            "community__name",
        )[: cap + 1]
    )
    capped = len(rows) > cap
    rows = rows[:cap]
    states = dict(DemandState.choices)
    return {
        "generated_at": now.isoformat(),
        "days": days,
        "cap": cap,
        "capped": capped,
        "count": len(rows),
        "demands": [
            {
                "id": r["pk"],
                "code": r["tracking_code"],
                "lat": round(r["lat"], 6),
                "lng": round(r["lng"], 6),
                "state": r["state"],
                "state_label": str(states.get(r["state"], r["state"])),
                "urgency": r["urgency"],
                "received_at": r["received_at"].isoformat(),
                "matter": r["matter__name"] or "",
                "street": r["street__name"] or "",
                "community": r["community__name"] or "",
            }
            for r in rows
        ],
    }


# --- emergency broadcasts (应急广播) -----------------------------------------------------------------

RECENT_BROADCASTS = 10
BANNER_BROADCASTS = 5


def recent_broadcasts(district: Division, limit: int = RECENT_BROADCASTS) -> list:
    """The district's latest broadcasts with their recipient and acknowledgement counts (one query; the
    streets are prefetched only when there are broadcasts)."""
    from shaobao.platform.models import Broadcast

    return list(
        Broadcast.objects.filter(district=district)
        .select_related("sent_by")
        .prefetch_related("streets")
        .annotate(
            recipients=Count("receipts"),
            acknowledged=Count("receipts", filter=Q(receipts__acknowledged_at__isnull=False)),
        )
        .order_by("-sent_at", "-id")[:limit]
    )


def pending_broadcasts(user, limit: int = BANNER_BROADCASTS) -> list:
    """The user's broadcasts not yet acknowledged, newest first (the banner on every page)."""
    from shaobao.platform.models import Broadcast

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        Broadcast.objects.filter(receipts__user=user, receipts__acknowledged_at__isnull=True).order_by(
            "-sent_at", "-id"
        )[:limit]
    )


def broadcast_for(user, pk: int):
    """One broadcast for its recipients (with their receipt) and for its district's coordinators (with every
    receipt); anyone else gets NotFound."""
    from shaobao.core.errors import NotFound
    from shaobao.platform.actions import may_broadcast
    from shaobao.platform.models import Broadcast, BroadcastReceipt

    broadcast = Broadcast.objects.select_related("district", "sent_by").filter(pk=pk).first()
    if broadcast is None:
        raise NotFound("没有这条应急广播 / No such broadcast")
    own = BroadcastReceipt.objects.filter(broadcast=broadcast, user=user).first()
    sender = may_broadcast(user, broadcast.district)
    if own is None and not sender:
        raise NotFound("没有这条应急广播 / No such broadcast")
    receipts = (
        list(
            BroadcastReceipt.objects.filter(broadcast=broadcast)
            .select_related("user")
            .order_by(F("acknowledged_at").asc(nulls_first=True), "user__username")
        )
        if sender
        else []
    )
    return broadcast, own, receipts
