"""The to-do dashboard: what each role has to do now, counted once per inbox section.

Every home page (web) and `GET /api/v1/me/todo` read `todo_for(user)`. A tile is one section of the
inbox (`whistles.selectors.inbox_for`, the one definition of what each role must act on) with:
- `count`: items in it;
- `due`: the deadline of the most urgent item, and `hours_left` until it (negative when already late):
  in working hours (`core.calendar.working_hours_between`) where the limit counts working hours, on the
  clock where it counts the clock (report-in limits are minutes on the clock, nights and rest days too),
  `working_hours` saying which;
- `overdue` / `due_today`: how many of its items are past their deadline / due before local midnight;
- links to the inbox section, and to the same section filtered `due=overdue` / `due=today`.

Where an item's deadline comes from (`DEADLINES`): a unit's deadlines are stored on the summons or the
demand; the steps waiting on the street or the district count a working-hours limit from when the item
started waiting (`whistles.deadlines.step_due`). `filter_due` applies the same rule to the inbox list, so a
link shows exactly the items its number counted. One aggregate query per tile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Case, Count, F, Min, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone

from shaobao.core.calendar import end_of_local_day, working_hours_between
from shaobao.org.access import STAFF_ROLES
from shaobao.org.scoping import scope_of
from shaobao.whistles.deadlines import step_due, step_started_by
from shaobao.whistles.models import SummonsState
from shaobao.whistles.selectors import inbox_for

DUE_FILTERS = ("overdue", "today")


@dataclass(frozen=True)
class Deadline:
    """`field` holds the deadline itself (`step` None), or the moment the item started waiting for
    `step` (its deadline is `step_due(field, step)`). field "summons" is the summons' open deadline.
    `clock`: the limit runs on the clock (report-in), so the time left is counted on the clock too."""

    field: str
    step: str | None = None
    clock: bool = False


DEADLINES: dict[str, Deadline] = {
    "to_triage": Deadline("received_at", "triage"),
    "self_handled_to_verify": Deadline("handled_at", "verify"),
    "to_verify": Deadline("fed_back_at", "verify"),
    "to_call_back": Deadline("closed_at", "callback"),
    "street_overdue": Deadline("summons"),
    "to_report_in": Deadline("report_in_due", clock=True),
    "in_progress": Deadline("finish_due"),
    "assigned_demands": Deadline("due_at"),
    "unit_overdue": Deadline("summons"),
    "extensions": Deadline("requested_at", "extension"),
    "overdue": Deadline("summons"),
    "unplaced": Deadline("received_at", "placement"),
}


def _annotated(qs: QuerySet, spec: Deadline) -> tuple[QuerySet, str]:
    """The queryset and the name of the field to compare (the summons' deadline is annotated)."""
    if spec.field != "summons":
        return qs, spec.field
    expr = Case(When(state=SummonsState.SUMMONED, then=F("report_in_due")), default=F("finish_due"))
    return qs.annotate(todo_due=expr), "todo_due"


def _window_q(field: str, spec: Deadline, after: dt.datetime | None, by: dt.datetime) -> Q:
    """Items whose deadline lies in (after, by]."""
    conv = (lambda t: step_started_by(t, spec.step)) if spec.step else (lambda t: t)
    q = Q(**{f"{field}__lte": conv(by)})
    if after is not None:
        q &= Q(**{f"{field}__gt": conv(after)})
    return q


def filter_due(key: str, qs: QuerySet, due: str, *, now: dt.datetime | None = None) -> QuerySet:
    """The section's items that are overdue (`due="overdue"`) or due later today (`due="today"`)."""
    spec = DEADLINES.get(key)
    if spec is None or due not in DUE_FILTERS:
        return qs.none() if due in DUE_FILTERS else qs
    now = now or timezone.now()
    qs, field = _annotated(qs, spec)
    if due == "overdue":
        return qs.filter(_window_q(field, spec, None, now))
    return qs.filter(_window_q(field, spec, now, end_of_local_day(now)))


def _link(key: str, due: str | None = None) -> str:
    params = {"section": key, **({"due": due} if due else {})}
    return f"{reverse('whistles:inbox')}?{urlencode(params)}"


def _hours_left(now: dt.datetime, due: dt.datetime | None, *, clock: bool) -> float | None:
    if due is None:
        return None
    hours = (due - now).total_seconds() / 3600 if clock else working_hours_between(now, due)
    return round(hours, 1)


def todo_for(user, *, now: dt.datetime | None = None) -> list[dict]:
    """The user's tiles, in the inbox's order (empty for a user without a staff role)."""
    now = now or timezone.now()
    eod = end_of_local_day(now)
    # The inbox is a staff page: a resident's tile has no link (the home page lists their demands).
    linked = scope_of(user).has_role(*STAFF_ROLES)
    tiles = []
    for section in inbox_for(user, now=now, counted=False):
        key = section["key"]
        spec = DEADLINES.get(key)
        qs = section["items"].order_by()
        if spec is None:
            counts = qs.aggregate(count=Count("pk"))
            due = None
            overdue = due_today = None
        else:
            qs, field = _annotated(qs, spec)
            counts = qs.aggregate(
                count=Count("pk"),
                first=Min(field),
                overdue=Count("pk", filter=_window_q(field, spec, None, now)),
                today=Count("pk", filter=_window_q(field, spec, now, eod)),
            )
            first = counts["first"]
            due = step_due(first, spec.step) if first is not None and spec.step else first
            overdue, due_today = counts["overdue"], counts["today"]
        clock = bool(spec and spec.clock)
        tiles.append(
            {
                "key": key,
                "title": str(section["title"]),
                "count": counts["count"],
                "due": due,
                "hours_left": _hours_left(now, due, clock=clock),
                "working_hours": not clock,
                "overdue": overdue,
                "due_today": due_today,
                "url": _link(key) if linked else None,
                "overdue_url": _link(key, "overdue") if spec and linked else None,
                "due_today_url": _link(key, "today") if spec and linked else None,
            }
        )
    return tiles


def todo_totals(tiles: list[dict]) -> dict:
    """Overdue and due-today items over all tiles (a summons can sit in its section and in "overdue")."""
    return {
        "overdue": sum(t["overdue"] or 0 for t in tiles if not t["key"].endswith("overdue")),
        "due_today": sum(t["due_today"] or 0 for t in tiles if not t["key"].endswith("overdue")),
    }
