"""Reads of the calls: each level's queue and board, and the list filters. Scoped like every list
(`Call.objects.visible_to`), one area at a time (org.acting)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.calls.models import (
    OPEN_CALL_STATES,
    Call,
    CallAssignment,
    CallExtensionRequest,
    CallState,
    CallSupervisionOrder,
    city_prefixes,
)
from shaobao.intake import people
from shaobao.org.models import Division
from shaobao.whistles.models import ExtensionState, SummonsState, SupervisionKind


def overdue_q(now: dt.datetime, prefix: str = "") -> Q:
    """Assignments past a deadline they still owe (report-in, or finish), by the clock: the sweep's
    overdue stages (`calls.supervision`) mark the same rows once (due <= now)."""
    p = prefix
    return Q(**{f"{p}state": SummonsState.SUMMONED, f"{p}report_in_due__lte": now}) | Q(
        **{f"{p}state__in": [SummonsState.SUMMONED, SummonsState.REPORTED_IN], f"{p}finish_due__lte": now}
    )


def centres_of(user) -> list[Division]:
    """The centres the user staffs in the area acted in: his district (county centre) or city."""
    codes = [Division.full_code(p) for p in people.district_prefixes(user, {"district_coordinator"})]
    codes += [Division.full_code(p) for p in city_prefixes(user)]
    qs = Division.objects.filter(code__in=codes, level__in=["district", "city"])
    if getattr(user, "is_superuser", False) and not codes:
        qs = Division.objects.filter(level__in=["district", "city"], calls_received__isnull=False).distinct()
    return list(qs.order_by("code"))


@dataclass
class Board:
    centres: list[Division]
    sections: list[dict] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    below: list[dict] = field(default_factory=list)  # per caller division (streets, or districts)
    levels_below: list[dict] = field(default_factory=list)  # the city: each county centre's own calls


def board_for(user, *, now: dt.datetime | None = None) -> Board:
    now = now or timezone.now()
    calls = Call.objects.visible_to(user).select_related("caller", "centre")
    assignments = CallAssignment.objects.filter(call__in=Call.objects.visible_to(user)).select_related(
        "call", "call__caller", "unit"
    )
    centres = centres_of(user)
    board = Board(centres)

    def add(key: str, title, items: QuerySet) -> None:
        board.sections.append({"key": key, "title": title, "items": items, "count": items.count()})

    if centres:
        mine = calls.filter(centre__in=centres)
        add(
            "to_assign", _("Calls to assign"), mine.filter(state=CallState.RAISED).order_by("raised_at", "pk")
        )
        add(
            "disputes",
            _("Disputes to arbitrate"),
            assignments.filter(call__centre__in=centres, state=SummonsState.DISPUTED).order_by("assigned_at"),
        )
        add(
            "overdue",
            _("Departments overdue"),
            assignments.filter(overdue_q(now), call__centre__in=centres).order_by("finish_due"),
        )
        add(
            "extensions",
            _("Extension requests to decide"),
            CallExtensionRequest.objects.filter(
                state=ExtensionState.PENDING,
                assignment__call__in=Call.objects.visible_to(user).filter(centre__in=centres),
            )
            .select_related("assignment", "assignment__unit", "assignment__call", "assignment__call__caller")
            .order_by("requested_at", "pk"),
        )
        counts = dict(mine.order_by().values_list("state").annotate(n=Count("id")))
        board.figures = {
            "open": sum(n for s, n in counts.items() if s in OPEN_CALL_STATES),
            "closed": counts.get(CallState.CLOSED, 0),
            "called_up": counts.get(CallState.CALLED_UP, 0),
            "overdue": assignments.filter(overdue_q(now), call__centre__in=centres).count(),
            # Open supervision orders the sweep issued (resolved when the department acts).
            "supervised": CallSupervisionOrder.objects.filter(
                kind=SupervisionKind.SUPERVISION,
                resolved_at__isnull=True,
                assignment__in=assignments.filter(call__centre__in=centres),
            ).count(),
        }
        late = Exists(CallAssignment.objects.filter(overdue_q(now), call_id=OuterRef("pk")))
        rows = (
            mine.order_by()
            .values("caller_id", "caller__code", "caller__name")
            .annotate(
                total=Count("id"),
                open=Count("id", filter=Q(state__in=list(OPEN_CALL_STATES))),
                closed=Count("id", filter=Q(state=CallState.CLOSED)),
            )
        )
        late_by = dict(mine.filter(late).order_by().values_list("caller_id").annotate(n=Count("id")))
        board.below = sorted(
            [{**r, "overdue": late_by.get(r["caller_id"], 0)} for r in rows], key=lambda r: r["caller__code"]
        )
        cities = [c for c in centres if c.level == "city"]
        if cities:
            # The levels below: each county centre's own queue, seen from the city.
            county = calls.filter(level="county", centre__parent__in=cities)
            rows = (
                county.order_by()
                .values("centre_id", "centre__code", "centre__name")
                .annotate(
                    total=Count("id"),
                    open=Count("id", filter=Q(state__in=list(OPEN_CALL_STATES))),
                    closed=Count("id", filter=Q(state=CallState.CLOSED)),
                    called_up=Count("id", filter=Q(state=CallState.CALLED_UP)),
                )
            )
            late_by = dict(county.filter(late).order_by().values_list("centre_id").annotate(n=Count("id")))
            board.levels_below = sorted(
                [{**r, "overdue": late_by.get(r["centre_id"], 0)} for r in rows],
                key=lambda r: r["centre__code"],
            )
    callers = [d.pk for d in _caller_divisions(user)]
    if callers:
        add(
            "to_verify",
            _("Answers to verify and rate"),
            calls.filter(caller_id__in=callers, state=CallState.FED_BACK).order_by("fed_back_at"),
        )
        add(
            "my_open",
            _("Our calls in progress"),
            calls.filter(
                caller_id__in=callers, state__in=list(OPEN_CALL_STATES - {CallState.FED_BACK})
            ).order_by("raised_at"),
        )
    units = people.unit_ids(user)
    if units:
        own = assignments.filter(unit_id__in=units)
        add(
            "to_report_in",
            _("Calls to report in"),
            own.filter(state=SummonsState.SUMMONED).order_by("report_in_due"),
        )
        add(
            "in_progress",
            _("Calls in hand"),
            own.filter(state=SummonsState.REPORTED_IN).order_by("finish_due"),
        )
    return board


def _caller_divisions(user) -> list[Division]:
    from shaobao.calls.access import can_call

    return can_call(user)


def filter_calls(
    qs: QuerySet,
    *,
    state: str | None = None,
    level: str | None = None,
    caller: str | None = None,
    q: str | None = None,
    overdue=None,
    now: dt.datetime | None = None,
) -> QuerySet:
    now = now or timezone.now()
    if state:
        qs = qs.filter(state=state)
    if level:
        qs = qs.filter(level=level)
    if caller:
        qs = qs.filter(caller__code=Division.full_code(caller.strip())[:12])
    if overdue in (True, "1", "true", "yes", "on"):
        qs = qs.filter(Exists(CallAssignment.objects.filter(overdue_q(now), call_id=OuterRef("pk"))))
    if q and q.strip():
        term = q.strip()
        cond = Q(subject__icontains=term) | Q(body__icontains=term)
        if term.isdigit():
            cond |= Q(pk=int(term))
        qs = qs.filter(cond)
    return qs
