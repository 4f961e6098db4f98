"""Reads: key-task lists filtered for a user, overdue counts per lead unit, the coordination board's panel,
monthly topics and referrals (district only)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from shaobao.keytasks.access import is_district
from shaobao.keytasks.models import Area, KeyTask, KeyTaskState, Referral, Topic
from shaobao.org.models import scope_of

STATES = ("open", "done", "overdue")


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Open tasks past their deadline (by the clock, even before the sweep has run)."""
    return Q(state=KeyTaskState.OPEN, deadline__lte=now or timezone.now())


def key_tasks_for(user):
    return (
        KeyTask.objects.visible_to(user)
        .select_related("area", "lead_unit")
        .prefetch_related("participating_units")
    )


def filter_key_tasks(qs, *, q="", area=None, unit="", state="", year=None, mine=False, user=None, now=None):
    now = now or timezone.now()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(number__icontains=q))
    if area:
        qs = qs.filter(area_id=area)
    if year:
        qs = qs.filter(Q(area__year=year) | Q(area__isnull=True, deadline__year=year))
    if unit:
        qs = qs.filter(Q(lead_unit__code=unit) | Q(participating_units__code=unit)).distinct()
    if state == "overdue":
        qs = qs.filter(overdue_q(now))
    elif state in ("open", "done"):
        qs = qs.filter(state=state)
    if mine and user is not None:
        units = scope_of(user).unit_ids
        qs = qs.filter(Q(lead_unit_id__in=units) | Q(participating_units__in=units)).distinct()
    return qs


def areas_for(user):
    scope = scope_of(user)
    return Area.objects.filter(scope.code_q("district__code", district_wide=True)).order_by("-year", "number")


def areas_with_tasks(qs) -> list[dict]:
    """The filtered tasks grouped by area (areas in order, topics' tasks last), for the list page."""
    groups: dict = {}
    for task in qs:
        key = task.area_id or 0
        groups.setdefault(key, {"area": task.area, "tasks": []})["tasks"].append(task)
    return [groups[k] for k in sorted(groups, key=lambda k: (k == 0, groups[k]["area"].number if k else 0))]


def overdue_by_lead_unit(unit_ids=None, *, now=None) -> dict[int, int]:
    qs = KeyTask.objects.filter(overdue_q(now))
    if unit_ids is not None:
        qs = qs.filter(lead_unit_id__in=list(unit_ids))
    return dict(qs.values_list("lead_unit_id").annotate(n=Count("id")).order_by())


def board_panel(user, *, now=None, limit: int = 10) -> dict:
    """The coordination board's key-task panel: the overdue key tasks the user may see, most overdue
    first, with how many there are and the totals of the lists."""
    now = now or timezone.now()
    visible = KeyTask.objects.visible_to(user)
    overdue = visible.filter(overdue_q(now)).select_related("lead_unit", "area").order_by("deadline", "pk")
    totals = visible.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(state=KeyTaskState.DONE)),
        overdue=Count("id", filter=overdue_q(now)),
    )
    return {"overdue": list(overdue[:limit]), "totals": totals, "now": now}


def topics_for(user):
    return (
        Topic.objects.filter(key_task__in=KeyTask.objects.visible_to(user))
        .select_related("matter", "street", "community", "grid", "key_task", "key_task__lead_unit")
        .order_by("-month", "id")
    )


def mark_chosen(candidates, chosen) -> None:
    """Set `topic` on each candidate: the topic already chosen for it this month, or None, so that the
    page shows the topic instead of a "pick" that would only answer "chosen already"."""
    by_key = {(t.level, t.matter_id, t.street_id, t.community_id, t.grid_id): t for t in chosen}
    for c in candidates:
        c.topic = by_key.get(c.key)


def referrals_for(user, *, state="", kind="", q=""):
    if not is_district(user):
        return Referral.objects.none()
    scope = scope_of(user)
    qs = Referral.objects.filter(scope.code_q("district__code", district_wide=True)).select_related(
        "unit", "key_task", "whistle", "referred_by"
    )
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(reason__icontains=q) | Q(unit__name__icontains=q))
    return qs
