"""The key tasks' supervision sweep (督办), run with the whistles' sweep by the periodic task:
- a warning when 75 % of a task's time has passed (the `warn_at` stored beside its deadline);
- a supervision order when the deadline passes with the task still open;
- an escalation to the district when a supervision order stays unresolved for
  KEYTASK_ESCALATE_WORKING_DAYS working days (default 3).
Each (task, stage) is claimed once (`KeyTaskClaim`, unique), in the same transaction as the orders, events
and notifications; on PostgreSQL the due tasks are locked SKIP LOCKED, so two sweepers never act twice and
an action holding a task (progress, new deadline) and the sweep take turns. Key tasks are counted in
hundreds, not millions: the ORM is enough here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core.calendar import add_working_days
from shaobao.core.models import Event
from shaobao.core.notifications import notify_on_commit
from shaobao.intake import people
from shaobao.keytasks.models import KeyTask, KeyTaskClaim, KeyTaskOrder, KeyTaskStage, KeyTaskState
from shaobao.whistles.models import SupervisionKind

log = logging.getLogger(__name__)
BATCH = 500


def escalate_days() -> int:
    return int(getattr(settings, "KEYTASK_ESCALATE_WORKING_DAYS", 3))


def _coordinators(task: KeyTask) -> list[int]:
    return people.coordinators(task.district)


def _due(stage: str, now: dt.datetime):
    qs = KeyTask.objects.filter(state=KeyTaskState.OPEN).exclude(claims__stage=stage)
    if stage == KeyTaskStage.WARNING:
        qs = qs.filter(warn_at__lte=now, deadline__gt=now)
    else:
        qs = qs.filter(deadline__lte=now)
    return qs.order_by("deadline", "pk")


def _claim(task: KeyTask, stage: str, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            KeyTaskClaim.objects.create(key_task=task, stage=stage, claimed_at=now)
    except IntegrityError:
        return False
    return True


def _stage(stage: str, now: dt.datetime, counts: Counter) -> None:
    kind = SupervisionKind.WARNING if stage == KeyTaskStage.WARNING else SupervisionKind.SUPERVISION
    while True:
        with transaction.atomic():
            ids = list(_due(stage, now).values_list("pk", flat=True)[:BATCH])
            tasks = list(
                KeyTask.objects.select_for_update(skip_locked=True)
                .filter(pk__in=ids, state=KeyTaskState.OPEN)
                .select_related("district")
                .order_by("deadline", "pk")
            )
            done = 0
            for task in tasks:
                if not _claim(task, stage, now):
                    continue
                if stage == KeyTaskStage.OVERDUE:  # the warning is not issued after the fact
                    _claim(task, KeyTaskStage.WARNING, now)
                done += 1
                KeyTaskOrder.objects.create(key_task=task, kind=kind, issued_at=now, note=stage)
                Event.objects.create(
                    subject_type=KeyTask._meta.label_lower, subject_id=task.pk, action=f"key_task_{stage}",
                    from_state=task.state, to_state=task.state, data={"deadline": task.deadline.isoformat()},
                )  # fmt: skip
                units = [task.lead_unit_id, *task.participating_units.values_list("pk", flat=True)]
                staff = people.unit_staff(units)
                url = f"/key-tasks/{task.pk}/"
                if stage == KeyTaskStage.WARNING:
                    notify_on_commit(
                        staff, f"预警：重点任务「{task.title}」期限将至 / key task due soon", url
                    )
                else:
                    notify_on_commit(
                        set(staff) | set(_coordinators(task)),
                        f"督办：重点任务「{task.title}」已逾期 / key task overdue",
                        url,
                    )
            counts[f"key_task_{stage}"] += done
        if len(ids) < BATCH or not tasks:
            return


def _escalate(now: dt.datetime, counts: Counter) -> None:
    days = escalate_days()
    candidates = KeyTaskOrder.objects.filter(
        kind=SupervisionKind.SUPERVISION,
        resolved_at__isnull=True,
        escalated_at__isnull=True,
        issued_at__lte=now - dt.timedelta(days=days),
    ).values_list("pk", "issued_at")
    due = [pk for pk, issued in candidates if add_working_days(issued, days) <= now]
    for start in range(0, len(due), BATCH):
        with transaction.atomic():
            # Claimed by a conditional UPDATE: of two sweepers only one escalates an order.
            orders = list(
                KeyTaskOrder.objects.select_for_update(skip_locked=True)
                .filter(
                    pk__in=due[start : start + BATCH], resolved_at__isnull=True, escalated_at__isnull=True
                )
                .select_related("key_task", "key_task__district", "key_task__lead_unit")
            )
            KeyTaskOrder.objects.filter(pk__in=[o.pk for o in orders]).update(escalated_at=now)
            for order in orders:
                task = order.key_task
                KeyTaskOrder.objects.create(
                    key_task=task,
                    kind=SupervisionKind.ESCALATION,
                    issued_at=now,
                    note=f"escalated from #{order.pk}",
                )
                Event.objects.create(
                    subject_type=KeyTask._meta.label_lower, subject_id=task.pk, action="key_task_escalation",
                    from_state=task.state, to_state=task.state, data={"order": order.pk},
                )  # fmt: skip
                leaders = people.unit_staff([task.lead_unit_id], ("unit_leader",))
                notify_on_commit(
                    set(leaders) | set(_coordinators(task)),
                    f"提级督办：{task.lead_unit.name}「{task.title}」督办未办结 / key task escalated",
                    f"/key-tasks/{task.pk}/",
                )
            counts["key_task_escalation"] += len(orders)


def sweep(now: dt.datetime | None = None) -> dict:
    """One pass: warnings, supervision orders, escalations. Safe to repeat and to run concurrently."""
    now = now or timezone.now()
    counts: Counter = Counter()
    _stage(KeyTaskStage.WARNING, now, counts)
    _stage(KeyTaskStage.OVERDUE, now, counts)
    _escalate(now, counts)
    if sum(counts.values()):
        log.info("key-task sweep: %s", dict(counts))
    return {k: v for k, v in counts.items() if v}
