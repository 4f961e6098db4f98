"""The supervision sweep (督办): warnings at 75% of a limit, supervision orders when it passes,
escalation to the district when an order stays unresolved.

Each stage claims its rows with one conditional UPDATE (`... SET <col> = now WHERE <col> IS NULL
... RETURNING id`, with `FOR UPDATE SKIP LOCKED` on PostgreSQL), and in the same transaction writes
the audit events, the supervision orders and the in-app notification rows. So:
- two sweepers never act twice on a row (the second one's UPDATE finds the column set, or skips the
  locked row);
- a crash rolls the whole batch back: nothing is lost, nothing repeated; the next pass takes it up.
E-mails are queued after commit. Run it with `manage.py sweep_deadlines` or the huey periodic task.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shaobao.core.calendar import add_working_days
from shaobao.core.models import Event, Notification
from shaobao.core.notifications import email_on_commit
from shaobao.intake import people
from shaobao.whistles.models import Summons, SummonsState, SupervisionKind, SupervisionOrder

log = logging.getLogger(__name__)

BATCH = 1000
OPEN = ("summoned", "reported_in")


@dataclass(frozen=True)
class Stage:
    key: str  # event action and counter name
    column: str  # the claim column
    time_column: str  # the deadline that has passed
    states: tuple[str, ...]
    kind: str  # SupervisionKind
    stage: str  # "report_in" / "finish"
    also_set: str | None = None  # an earlier claim column filled in when it was skipped
    before_column: str | None = None  # only while this later deadline is still ahead
    text: str = ""


STAGES = (
    Stage(
        "report_in_warning", "report_in_warned_at", "report_in_warn_at", ("summoned",),
        SupervisionKind.WARNING, "report_in", before_column="report_in_due",
        text="预警：吹哨 #{w} 报到期限将至（{due}）/ report-in due soon",
    ),
    Stage(
        "report_in_overdue", "report_in_overdue_at", "report_in_due", ("summoned",),
        SupervisionKind.SUPERVISION, "report_in", also_set="report_in_warned_at",
        text="督办：吹哨 #{w} 报到已超时（{due}）/ report-in overdue",
    ),
    Stage(
        "finish_warning", "finish_warned_at", "finish_warn_at", OPEN,
        SupervisionKind.WARNING, "finish", before_column="finish_due",
        text="预警：吹哨 #{w} 办结期限将至（{due}）/ finish due soon",
    ),
    Stage(
        "finish_overdue", "finish_overdue_at", "finish_due", OPEN,
        SupervisionKind.SUPERVISION, "finish", also_set="finish_warned_at",
        text="督办：吹哨 #{w} 办结已超时（{due}）/ finish overdue",
    ),
)  # fmt: skip


@dataclass
class SweepResult:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict:
        return dict(self.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _claim(stage: Stage, now: dt.datetime, limit: int) -> list[int]:
    """Claim up to `limit` rows for a stage; returns the ids this sweeper now owns."""
    table = Summons._meta.db_table
    placeholders = ", ".join(["%s"] * len(stage.states))
    where = f"state IN ({placeholders}) AND {stage.time_column} <= %s AND {stage.column} IS NULL"
    params: list = [*stage.states, now]
    if stage.before_column:
        where += f" AND {stage.before_column} > %s"
        params.append(now)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sets = f"{stage.column} = %s"
    set_params: list = [now]
    if stage.also_set:
        sets += f", {stage.also_set} = COALESCE({stage.also_set}, %s)"
        set_params.append(now)
    sql = (
        f"UPDATE {table} SET {sets} WHERE id IN "
        f"(SELECT id FROM {table} WHERE {where} ORDER BY {stage.time_column} LIMIT {int(limit)}{lock}) "
        f"AND {stage.column} IS NULL RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *params])
        return [row[0] for row in cursor.fetchall()]


def _recipients(summonses: list[Summons], stage: Stage) -> dict[int, list[int]]:
    """summons id -> user ids: the unit's staff; for supervision orders also the street's dispatchers."""
    unit_ids = {s.unit_id for s in summonses}
    by_unit: dict[int, set[int]] = defaultdict(set)
    from shaobao.org.models import Membership

    for uid, unit_id in Membership.objects.filter(
        unit_id__in=unit_ids, role__in=list(people.UNIT_STAFF_ROLES), user__is_active=True
    ).values_list("user_id", "unit_id"):
        by_unit[unit_id].add(uid)
    by_street: dict[int, set[int]] = defaultdict(set)
    if stage.kind == SupervisionKind.SUPERVISION:
        streets = {s.whistle.street_id for s in summonses}
        for uid, street_id in Membership.objects.filter(
            division_id__in=streets, role="street_dispatcher", user__is_active=True
        ).values_list("user_id", "division_id"):
            by_street[street_id].add(uid)
    return {s.pk: sorted(by_unit[s.unit_id] | by_street[s.whistle.street_id]) for s in summonses}


def _run_stage(stage: Stage, now: dt.datetime, batch: int, result: SweepResult) -> None:
    while True:
        with transaction.atomic():
            ids = _claim(stage, now, batch)
            if not ids:
                return
            summonses = list(
                Summons.objects.filter(pk__in=ids).select_related("whistle", "whistle__street", "unit")
            )
            due_of = {s.pk: getattr(s, stage.time_column.replace("_warn_at", "_due")) for s in summonses}
            Event.objects.bulk_create(
                [
                    Event(
                        subject_type=Summons._meta.label_lower,
                        subject_id=s.pk,
                        action=stage.key,
                        from_state=s.state,
                        to_state=s.state,
                        data={"due": due_of[s.pk].isoformat(), "unit": s.unit.code},
                    )
                    for s in summonses
                ],
                batch_size=1000,
            )
            SupervisionOrder.objects.bulk_create(
                [
                    SupervisionOrder(
                        summons=s, kind=stage.kind, stage=stage.stage, issued_at=now, note=stage.key
                    )
                    for s in summonses
                ],
                batch_size=1000,
            )
            recipients = _recipients(summonses, stage)
            rows = []
            per_user: dict[int, int] = defaultdict(int)
            for s in summonses:
                text = stage.text.format(
                    w=s.whistle_id, due=timezone.localtime(due_of[s.pk]).strftime("%m-%d %H:%M")
                )
                for uid in recipients[s.pk]:
                    rows.append(Notification(user_id=uid, text=text[:300], url=f"/whistles/{s.whistle_id}/"))
                    per_user[uid] += 1
            Notification.objects.bulk_create(rows, batch_size=1000)
            if stage.kind == SupervisionKind.SUPERVISION:
                for uid, n in per_user.items():
                    email_on_commit([uid], f"督办：您有 {n} 项已超时 / {n} item(s) overdue", "")
            result.counts[stage.key] += len(ids)
        if len(ids) < batch:
            return


def _escalate(now: dt.datetime, batch: int, result: SweepResult) -> None:
    """A supervision order unresolved for SUPERVISION_ESCALATE_WORKING_DAYS (1) → escalation (提级)."""
    days = getattr(settings, "SUPERVISION_ESCALATE_WORKING_DAYS", 1)
    candidates = list(
        SupervisionOrder.objects.filter(
            kind=SupervisionKind.SUPERVISION,
            resolved_at__isnull=True,
            escalated_at__isnull=True,
            issued_at__lte=now - dt.timedelta(days=days),
        )
        .order_by("issued_at")
        .values_list("pk", "issued_at")[: batch * 10]
    )
    due_ids = [pk for pk, issued in candidates if add_working_days(issued, days) <= now]
    for start in range(0, len(due_ids), batch):
        chunk = due_ids[start : start + batch]
        with transaction.atomic():
            owned = [
                pk
                for pk in chunk
                if SupervisionOrder.objects.filter(
                    pk=pk, escalated_at__isnull=True, resolved_at__isnull=True
                ).update(escalated_at=now)
                == 1
            ]
            if not owned:
                continue
            orders = list(
                SupervisionOrder.objects.filter(pk__in=owned).select_related(
                    "summons", "summons__unit", "summons__whistle", "summons__whistle__street"
                )
            )
            SupervisionOrder.objects.bulk_create(
                [
                    SupervisionOrder(
                        summons=o.summons, kind=SupervisionKind.ESCALATION, stage=o.stage, issued_at=now,
                        note=f"escalated from order #{o.pk}",
                    )
                    for o in orders
                ]
            )  # fmt: skip
            Event.objects.bulk_create(
                [
                    Event(
                        subject_type=Summons._meta.label_lower,
                        subject_id=o.summons_id,
                        action="escalation",
                        from_state=o.summons.state,
                        to_state=o.summons.state,
                        data={"order": o.pk, "stage": o.stage},
                    )
                    for o in orders
                ]
            )
            rows = []
            for o in orders:
                users = set(people.coordinators(o.summons.whistle.street))
                users |= set(people.unit_staff([o.summons.unit_id], ("unit_leader",)))
                text = (
                    f"提级督办：{o.summons.unit.name}（吹哨 #{o.summons.whistle_id}）督办未办结 / escalated"
                )
                rows += [
                    Notification(user_id=u, text=text, url=f"/whistles/{o.summons.whistle_id}/")
                    for u in users
                ]
            Notification.objects.bulk_create(rows)
            result.counts["escalation"] += len(owned)


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """One pass over every stage; safe to run concurrently and to repeat."""
    now = now or timezone.now()
    result = SweepResult()
    for stage in STAGES:
        _run_stage(stage, now, batch, result)
    _escalate(now, batch, result)
    if result.total:
        log.info("supervision sweep: %s", result.as_dict())
    return result


# --- the district board ------------------------------------------------------------------------


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Summonses past a deadline they still owe (by the clock, even before the sweep has run)."""
    now = now or timezone.now()
    return Q(state=SummonsState.SUMMONED, report_in_due__lte=now) | Q(state__in=OPEN, finish_due__lte=now)


def overdue_board(user, *, now: dt.datetime | None = None):
    """Overdue summonses the user may see, most overdue first, with whistle, street, unit and orders."""
    now = now or timezone.now()
    return (
        Summons.objects.visible_to(user)
        .filter(overdue_q(now))
        .select_related("whistle", "whistle__street", "whistle__matter", "unit")
        .prefetch_related("supervision_orders")
        .order_by("report_in_due", "finish_due", "pk")
    )


def asdict_result(result: SweepResult) -> dict:
    return asdict(result)
