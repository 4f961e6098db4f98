"""Reads of the workflow: each role's inbox (what the user must act on), and the list filters."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.intake import people
from shaobao.intake.models import Demand, DemandState
from shaobao.whistles.models import ExtensionRequest, ExtensionState, Summons, SummonsState, Whistle
from shaobao.whistles.supervision import overdue_board, overdue_q


def _section(key: str, title, items: QuerySet, counted: bool = True) -> dict:
    return {"key": key, "title": title, "items": items, "count": items.count() if counted else None}


# How far back a unit's answered extension requests stay in its inbox ("extension answers").
EXTENSION_ANSWER_DAYS = 7


def inbox_for(user, *, now: dt.datetime | None = None, counted: bool = True) -> list[dict]:
    """Sections {key, title, items (queryset), count} for every role the user holds (no duplicates).

    `counted=False` leaves `count` to the caller (the to-do dashboard counts each section once, with
    its deadlines, in `whistles.todo`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    now = now or timezone.now()
    sections: list[dict] = []
    seen: set[str] = set()

    def add(key: str, title, items: QuerySet) -> None:
        if key not in seen:
            seen.add(key)
            sections.append(_section(key, title, items, counted))

    demands = Demand.objects.visible_to(user).select_related("street", "matter", "assigned_unit")
    whistles = Whistle.objects.visible_to(user).select_related("street", "matter")
    summonses = Summons.objects.visible_to(user).select_related(
        "whistle", "whistle__street", "whistle__matter", "unit"
    )

    triage_streets = people.street_ids(user)
    if triage_streets or user.is_superuser:
        own = demands if user.is_superuser else demands.filter(street_id__in=triage_streets)
        add(
            "to_triage",
            _("Demands to triage"),
            own.filter(state__in=[DemandState.RECEIVED, DemandState.REOPENED]).order_by("received_at", "pk"),
        )
        add(
            "self_handled_to_verify",
            _("Handled by the street, to verify"),
            own.filter(state=DemandState.HANDLED).order_by("handled_at", "pk"),
        )
        own_w = whistles if user.is_superuser else whistles.filter(street_id__in=triage_streets)
        add(
            "to_verify",
            _("Whistles fed back, to verify"),
            own_w.filter(state="fed_back").order_by("fed_back_at"),
        )
        add(
            "to_call_back",
            _("Closed, to call back"),
            own.filter(state=DemandState.CLOSED).order_by("closed_at", "pk"),
        )
        add("street_overdue", _("Overdue units on our whistles"), overdue_board(user, now=now))

    units = people.unit_ids(user)
    if units:
        mine = summonses.filter(unit_id__in=units)
        add(
            "to_report_in",
            _("Summonses to report in"),
            mine.filter(state=SummonsState.SUMMONED).order_by("report_in_due", "pk"),
        )
        add(
            "in_progress",
            _("In progress"),
            mine.filter(state=SummonsState.REPORTED_IN).order_by("finish_due", "pk"),
        )
        add(
            "assigned_demands",
            _("Demands assigned by the street"),
            demands.filter(assigned_unit_id__in=units, state=DemandState.SELF_HANDLING).order_by(
                "due_at", "pk"
            ),
        )
        add("unit_overdue", _("Overdue"), mine.filter(overdue_q(now)).order_by("report_in_due", "finish_due"))
        add(
            "extension_answers",
            _("Answers to our extension requests"),
            ExtensionRequest.objects.filter(
                summons__unit_id__in=units,
                decided_at__gte=now - dt.timedelta(days=EXTENSION_ANSWER_DAYS),
            )
            .exclude(state=ExtensionState.PENDING)
            .select_related("summons", "summons__unit", "summons__whistle")
            .order_by("-decided_at", "-pk"),
        )

    if people.district_prefixes(user) or user.is_superuser:
        add(
            "disputes",
            _("Disputes to arbitrate"),
            summonses.filter(state=SummonsState.DISPUTED).order_by("summoned_at", "pk"),
        )
        add(
            "extensions",
            _("Extension requests to decide"),
            ExtensionRequest.objects.filter(
                state=ExtensionState.PENDING, summons__in=Summons.objects.visible_to(user)
            )
            .select_related("summons", "summons__unit", "summons__whistle")
            .order_by("requested_at", "pk"),
        )
        add("overdue", _("Overdue (district board)"), overdue_board(user, now=now))
        add(
            "unplaced",
            _("Demands not yet placed"),
            demands.filter(street__isnull=True).exclude(
                state__in=[DemandState.MERGED, DemandState.CALLED_BACK]
            ),
        )

    if people.has_role(user, {"grid_worker", "resident"}):
        add(
            "my_demands",
            _("Demands I reported"),
            demands.filter(created_by=user).exclude(state__in=[DemandState.MERGED, DemandState.CALLED_BACK]),
        )
    return sections


def _bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def filter_whistles(
    qs: QuerySet,
    *,
    state: str | None = None,
    type: str | None = None,  # noqa: A002 - the filter's public name
    street: str | None = None,
    unit: str | None = None,
    matter: str | None = None,
    overdue=None,
    q: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    """Filters of the whistle list (all optional; street/unit/matter are codes)."""
    now = now or timezone.now()
    if state:
        qs = qs.filter(state=state)
    if type:
        qs = qs.filter(type=type)
    if street:
        qs = qs.filter(street__code__startswith=street.rstrip("0")[:9] if len(street) == 12 else street)
    if unit:
        qs = qs.filter(pk__in=Summons.objects.filter(unit__code=unit).values("whistle_id"))
    if matter:
        qs = qs.filter(matter__code=matter)
    flag = _bool(overdue)
    if flag is not None:
        late = Exists(Summons.objects.filter(overdue_q(now), whistle_id=OuterRef("pk")))
        qs = qs.filter(late) if flag else qs.exclude(late)
    if q and q.strip():
        term = q.strip()
        cond = (
            Q(matter__name__icontains=term)
            | Q(note__icontains=term)
            | Q(pk__in=Whistle.demands.through.objects.filter(
                Q(demand__subject__icontains=term) | Q(demand__tracking_code__iexact=term)
            ).values("whistle_id"))
        )  # fmt: skip
        if term.isdigit():
            cond |= Q(pk=int(term))
        qs = qs.filter(cond)
    return qs
