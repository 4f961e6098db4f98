"""Reads of the district coordination board (区级统筹平台): overdue board, workloads, hot spots, live map.

Every read is scoped to one district: the one the coordinator or administrator works in
(`board_district`). The overdue rule is `whistles.supervision.overdue_q` / `overdue_board`, never
re-stated here. Every figure is an aggregate query (GROUP BY), so the cost of the page does not grow with
the number of units, streets or summonses (only the paginated list reads rows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from shaobao.core.errors import Forbidden
from shaobao.intake import people
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.states import PROBLEM_OPEN_STATES
from shaobao.org.models import Division
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


def overdue_list(user, district: Division, *, now: dt.datetime | None = None) -> QuerySet:
    """Overdue summonses of the district, most overdue first (whistle, street, matter, unit, orders)."""
    return overdue_board(user, now=now).filter(whistle__street__code__startswith=district.prefix)


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
        .filter(whistle__street__code__startswith=district.prefix, state__in=OPEN_SUMMONS_STATES)
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
    demands = dict(
        Demand.objects.visible_to(user)
        .filter(street__code__startswith=district.prefix, state__in=OPEN_DEMAND_STATES)
        .order_by()
        .values_list("street_id")
        .annotate(n=Count("pk"))
    )
    whistles = dict(
        Whistle.objects.visible_to(user)
        .filter(street__code__startswith=district.prefix)
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


def _top_by(qs: QuerySet, field: str, names: tuple[str, ...], limit: int) -> list[dict]:
    """The `limit` places (by `field`) with most demands, each with its most frequent matter."""
    top = list(
        qs.filter(**{f"{field}__isnull": False})
        .values(field, *names)
        .annotate(n=Count("pk"))
        .order_by("-n", field)[:limit]
    )
    if not top:
        return []
    ids = [row[field] for row in top]
    matters: dict[int, list] = defaultdict(list)
    for row in (
        qs.filter(**{f"{field}__in": ids}, matter__isnull=False)
        .values(field, "matter__name")
        .annotate(n=Count("pk"))
        .order_by(field, "-n", "matter__name")
    ):
        matters[row[field]].append(row)
    out = []
    for row in top:
        best = matters[row[field]][0] if matters[row[field]] else None
        out.append(
            {
                "id": row[field],
                "name": row[names[0]],
                "parent": row[names[1]] if len(names) > 1 else "",
                "count": row["n"],
                "top_matter": best["matter__name"] if best else "",
                "top_matter_count": best["n"] if best else 0,
            }
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
    """Communities and grids with most demands received in the last `days` days, with their top matter."""
    now = now or timezone.now()
    qs = (
        Demand.objects.visible_to(user)
        .filter(street__code__startswith=district.prefix, received_at__gte=now - dt.timedelta(days=days))
        .exclude(state=DemandState.MERGED)
        .order_by()
    )
    return {
        "days": days,
        "communities": _top_by(qs, "community_id", ("community__name", "street__name"), limit),
        "grids": _top_by(qs, "grid_id", ("grid__name", "community__name"), limit),
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
