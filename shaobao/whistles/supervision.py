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
import json
import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shaobao.core.calendar import add_working_days
from shaobao.core.models import Event, Notification
from shaobao.core.notifications import digest_on_commit
from shaobao.intake import people
from shaobao.org.models import Membership
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


def _db_time(value: dt.datetime):
    """A datetime as the backend stores it (SQLite: Django's text form; PostgreSQL: as is)."""
    return connection.ops.adapt_datetimefield_value(value)


def _claim(stage: Stage, now: dt.datetime, limit: int) -> list[tuple[int, int]]:
    """Claim up to `limit` rows for a stage; returns (summons id, whistle id) of the rows we now own."""
    sql, params = _claim_sql(stage, now, limit, "id, whistle_id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(a), int(b)) for a, b in cursor.fetchall()]


def _claim_sql(stage: Stage, now: dt.datetime, limit: int, returning: str) -> tuple[str, list]:
    """The conditional claiming UPDATE ... RETURNING `returning` (the column is set only where still NULL;
    on PostgreSQL rows another sweeper holds are skipped, not waited for)."""
    table = Summons._meta.db_table
    t = _db_time(now)
    placeholders = ", ".join(["%s"] * len(stage.states))
    where = f"state IN ({placeholders}) AND {stage.time_column} <= %s AND {stage.column} IS NULL"
    params: list = [*stage.states, t]
    if stage.before_column:
        where += f" AND {stage.before_column} > %s"
        params.append(t)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sets = f"{stage.column} = %s"
    set_params: list = [t]
    if stage.also_set:
        sets += f", {stage.also_set} = COALESCE({stage.also_set}, %s)"
        set_params.append(t)
    sql = (
        f"UPDATE {table} SET {sets} WHERE id IN "
        f"(SELECT id FROM {table} WHERE {where} ORDER BY {stage.time_column} LIMIT {int(limit)}{lock}) "
        f"AND {stage.column} IS NULL RETURNING {returning}"
    )
    return sql, [*set_params, *params]


def _unit_staff_sql(id_list: str, n: int) -> tuple[str, list]:
    """SELECT summons id, whistle id, user id: the summoned units' handlers and leaders.

    The claimed rows are a derived table with a LIMIT, so the planner starts from them (index look-ups)
    whatever its statistics say about the people tables."""
    summons = Summons._meta.db_table
    membership = Membership._meta.db_table
    user = Membership._meta.get_field("user").related_model._meta.db_table
    sql = (
        f"SELECT c.id, c.whistle_id, m.user_id FROM "
        f"(SELECT s.id, s.whistle_id, s.unit_id FROM {summons} s WHERE s.id IN ({id_list}) LIMIT {n}) c "
        f"JOIN {membership} m ON m.unit_id = c.unit_id AND m.role IN (%s, %s) "
        f"JOIN {user} u ON u.id = m.user_id AND u.is_active"
    )
    return sql, sorted(people.UNIT_STAFF_ROLES)


def _dispatcher_counts(whistle_ids: list[int]) -> list[tuple[int, int]]:
    """(user id, number of claimed summonses in their street) for the streets' dispatchers."""
    from shaobao.whistles.models import Whistle

    per_whistle = Counter(whistle_ids)
    street_of = dict(Whistle.objects.filter(pk__in=list(per_whistle)).values_list("pk", "street_id"))
    per_street: Counter = Counter()
    for wid, n in per_whistle.items():
        per_street[street_of.get(wid)] += n
    out: Counter = Counter()
    for uid, street_id in Membership.objects.filter(
        division_id__in=[k for k in per_street if k], role="street_dispatcher", user__is_active=True
    ).values_list("user_id", "division_id"):
        out[uid] += per_street[street_id]
    return sorted(out.items())


def _board_url() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("platform:board", "whistles:list"):
        try:
            return reverse(name) + ("" if name == "platform:board" else "?overdue=1")
        except NoReverseMatch:
            continue
    return "/whistles/?overdue=1"


def _write_for_claimed(stage: Stage, ids: list[int], texts: tuple, data: str) -> Counter:
    """Events, orders and the units' bell rows for claimed ids, by INSERT ... SELECT (SQLite path).
    Returns how many rows each user got."""
    text_prefix, text_suffix, url_prefix, url_suffix, t = texts
    event_t, summons_t = Event._meta.db_table, Summons._meta.db_table
    order_t, notif_t = SupervisionOrder._meta.db_table, Notification._meta.db_table
    id_list = ",".join(str(int(i)) for i in ids)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {event_t} (subject_type, subject_id, action, actor_id, at, from_state, "
            f"to_state, note, data) SELECT %s, id, %s, NULL, %s, state, state, '', %s "
            f"FROM {summons_t} WHERE id IN ({id_list})",
            [Summons._meta.label_lower, stage.key, t, data],
        )
        cur.execute(
            f"INSERT INTO {order_t} (summons_id, kind, stage, issued_at, resolved_at, escalated_at, note) "
            f"SELECT id, %s, %s, %s, NULL, NULL, %s FROM {summons_t} WHERE id IN ({id_list})",
            [stage.kind, stage.stage, t, stage.key],
        )
        rec_sql, rec_params = _unit_staff_sql(id_list, len(ids))
        cur.execute(
            f"INSERT INTO {notif_t} (user_id, text, url, created_at, read_at) "
            f"SELECT r.user_id, %s || CAST(r.whistle_id AS TEXT) || %s, "
            f"%s || CAST(r.whistle_id AS TEXT) || %s, %s, NULL FROM ({rec_sql}) r RETURNING user_id",
            [text_prefix, text_suffix, url_prefix, url_suffix, t, *rec_params],
        )
        return Counter(row[0] for row in cur.fetchall())


def _claim_and_write_pg(
    stage: Stage, now: dt.datetime, limit: int, texts: tuple, data: str
) -> tuple[list[tuple[int, int]], Counter]:
    """PostgreSQL: the claim and its three INSERTs in ONE statement (data-modifying CTEs fed by the
    UPDATE's RETURNING), so a batch is one round trip and the claimed rows are not read again by id.
    All of it runs in the caller's transaction, as on the generic path: same claim, same rows written."""
    text_prefix, text_suffix, url_prefix, url_suffix, t = texts
    event_t, order_t = Event._meta.db_table, SupervisionOrder._meta.db_table
    notif_t, membership = Notification._meta.db_table, Membership._meta.db_table
    user_t = Membership._meta.get_field("user").related_model._meta.db_table
    claim_sql, claim_params = _claim_sql(stage, now, limit, "id, whistle_id, unit_id, state")
    roles = sorted(people.UNIT_STAFF_ROLES)
    sql = (
        f"WITH claimed AS ({claim_sql}), "
        f"ev AS (INSERT INTO {event_t} (subject_type, subject_id, action, actor_id, at, from_state, to_state, "
        f"note, data) SELECT %s, c.id, %s, NULL, %s, c.state, c.state, '', CAST(%s AS jsonb) FROM claimed c), "
        f"ord AS (INSERT INTO {order_t} (summons_id, kind, stage, issued_at, resolved_at, escalated_at, note) "
        f"SELECT c.id, %s, %s, %s, NULL, NULL, %s FROM claimed c), "
        f"bell AS (INSERT INTO {notif_t} (user_id, text, url, created_at) "
        f"SELECT m.user_id, %s || CAST(c.whistle_id AS TEXT) || %s, %s || CAST(c.whistle_id AS TEXT) || %s, %s "
        f"FROM claimed c JOIN {membership} m ON m.unit_id = c.unit_id AND m.role IN (%s, %s) "
        f"JOIN {user_t} u ON u.id = m.user_id AND u.is_active RETURNING user_id) "
        f"SELECT c.id, c.whistle_id, NULL FROM claimed c UNION ALL SELECT NULL, NULL, b.user_id FROM bell b"
    )
    params = [
        *claim_params,
        Summons._meta.label_lower, stage.key, t, data,
        stage.kind, stage.stage, t, stage.key,
        text_prefix, text_suffix, url_prefix, url_suffix, t, *roles,
    ]  # fmt: skip
    claimed: list[tuple[int, int]] = []
    per_user: Counter = Counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for summons_id, whistle_id, user_id in cur.fetchall():
            if summons_id is not None:
                claimed.append((int(summons_id), int(whistle_id)))
            else:
                per_user[int(user_id)] += 1
    return claimed, per_user


def _run_stage(stage: Stage, now: dt.datetime, batch: int, result: SweepResult) -> None:
    """Claim a batch and, in the same transaction, write events, orders and notification rows with
    INSERT ... SELECT over the claimed rows (no per-row Python work); on PostgreSQL claim and inserts are
    one statement."""
    from shaobao.whistles.steps import whistle_url

    marker = "987654321"
    url_prefix, url_suffix = whistle_url(int(marker)).split(marker, 1)
    text_prefix, text_suffix = stage.text.split("{w}", 1)
    text_suffix = text_suffix.replace("（{due}）", "")
    pg = connection.vendor == "postgresql"
    data = json.dumps({"stage": stage.stage, "kind": stage.kind})
    texts = (text_prefix, text_suffix, url_prefix, url_suffix, _db_time(now))
    while True:
        with transaction.atomic():
            if pg:
                claimed, per_user = _claim_and_write_pg(stage, now, batch, texts, data)
                if not claimed:
                    return
                ids = [pk for pk, _ in claimed]
            else:
                claimed = _claim(stage, now, batch)
                if not claimed:
                    return
                ids = [pk for pk, _ in claimed]
                per_user = _write_for_claimed(stage, ids, texts, data)
            if stage.kind == SupervisionKind.SUPERVISION:
                # The street's dispatchers get one line per batch (how many of their whistles' units are
                # late), not one per summons; everyone gets one digest e-mail per batch (one queued task).
                board = _board_url()
                label = "报到" if stage.stage == "report_in" else "办结"
                rows = []
                for uid, count in _dispatcher_counts([wid for _, wid in claimed]):
                    per_user[uid] += count
                    rows.append(
                        Notification(
                            user_id=uid,
                            text=f"督办：本街乡吹哨有 {count} 个单位{label}超时 / {count} unit(s) overdue",
                            url=board,
                        )
                    )
                Notification.objects.bulk_create(rows)
                digest_on_commit(dict(per_user), "督办：您有 {n} 项已超时 / {n} item(s) overdue")
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
