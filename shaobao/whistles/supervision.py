"""The supervision sweep (督办): warnings at 75% of a limit, supervision orders when it passes,
escalation to the district when an order stays unresolved.

What the sweep has done is a `SummonsClaim` row per (summons, stage), unique on that pair. Each batch
finds due rows in (deadline, id) order through a partial index of open summonses, skipping those with a
claim, and claims them with `INSERT ... ON CONFLICT DO NOTHING RETURNING`; in the same transaction it
writes the audit events, the supervision orders and the in-app notification rows of exactly the rows it
got back. So:
- two sweepers never act twice on a row: only one INSERT returns it (on PostgreSQL the due rows are also
  locked FOR NO KEY UPDATE SKIP LOCKED, so a second sweeper passes over them rather than waiting, and an
  action holding the summons (extension, dispute) and the sweep take turns);
- a crash rolls the whole batch back, claim included: nothing is lost, nothing repeated;
- the wide summons row is never rewritten by the sweep (a claim is a narrow insert, not an UPDATE that
  would add an entry to every summons index).
E-mails are queued after commit. Run it with `manage.py sweep_deadlines` or the huey periodic task.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.core import events
from shaobao.core.calendar import add_working_days
from shaobao.core.delivery import row_fields
from shaobao.core.messages import render
from shaobao.core.models import Event, Notification
from shaobao.core.notifications import digest_on_commit, msg
from shaobao.intake import people
from shaobao.org.models import Membership
from shaobao.whistles.models import (
    ClaimStage,
    Summons,
    SummonsClaim,
    SummonsState,
    SupervisionKind,
    SupervisionOrder,
    Whistle,
)

log = logging.getLogger(__name__)

BATCH = 5000  # rows per transaction: measured, 5,000 costs ~20 % less CPU per row than 1,000
OPEN = ("summoned", "reported_in")


@dataclass(frozen=True)
class Stage:
    key: str  # the claim's stage, the event action and the counter name
    time_column: str  # the deadline that has passed
    states: tuple[str, ...]
    kind: str  # SupervisionKind
    stage: str  # "report_in" / "finish"
    also_claim: str | None = None  # an earlier stage claimed too, so it is not done after the fact
    before_column: str | None = None  # only while this later deadline is still ahead
    text: str = ""  # the bell's message id, around %(whistle)s
    index: str = ""  # the partial index the stage walks (named to SQLite, see _due_sql)


STAGES = (
    Stage(
        ClaimStage.REPORT_IN_WARNING, "report_in_warn_at", ("summoned",),
        SupervisionKind.WARNING, "report_in", before_column="report_in_due",
        text=N_("Warning: whistle #%(whistle)s is due to report in soon"),
        index="summons_ri_warn_due_open",
    ),
    Stage(
        ClaimStage.REPORT_IN_OVERDUE, "report_in_due", ("summoned",),
        SupervisionKind.SUPERVISION, "report_in", also_claim=ClaimStage.REPORT_IN_WARNING,
        text=N_("Supervision: whistle #%(whistle)s is overdue to report in"),
        index="summons_ri_due_open",
    ),
    Stage(
        ClaimStage.FINISH_WARNING, "finish_warn_at", OPEN,
        SupervisionKind.WARNING, "finish", before_column="finish_due",
        text=N_("Warning: whistle #%(whistle)s is due to finish soon"),
        index="summons_fin_warn_due_open",
    ),
    Stage(
        ClaimStage.FINISH_OVERDUE, "finish_due", OPEN,
        SupervisionKind.SUPERVISION, "finish", also_claim=ClaimStage.FINISH_WARNING,
        text=N_("Supervision: whistle #%(whistle)s is overdue to finish"),
        index="summons_fin_due_open",
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


# --- claims: what the actions and the pages read and reset ---------------------------------------


def claims_of(summons_id: int) -> dict[str, dt.datetime]:
    """{stage: claimed_at} of one summons: which warnings and overdue marks the sweep has issued."""
    return dict(SummonsClaim.objects.filter(summons_id=summons_id).values_list("stage", "claimed_at"))


def restart_finish_stages(summons_id: int, *, warning: bool = True, overdue: bool = True) -> None:
    """The finish deadline moved (extension, rework, rejected dispute): its warning and/or overdue stage
    may be issued again. Called inside the action's transaction, with the summons row locked."""
    stages = [ClaimStage.FINISH_WARNING] * warning + [ClaimStage.FINISH_OVERDUE] * overdue
    if stages:
        SummonsClaim.objects.filter(summons_id=summons_id, stage__in=stages).delete()


# --- the sweep ---------------------------------------------------------------------------------------


def _db_time(value):
    """A datetime as the backend stores it (SQLite: Django's text form; PostgreSQL: as is)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _order(stage: Stage) -> list[str]:
    """The stage's walking order: its index's columns (deadline, [later deadline,] id)."""
    return [stage.time_column, *([stage.before_column] if stage.before_column else []), "id"]


def _due_sql(stage: Stage, now: dt.datetime, limit: int, after: tuple | None) -> tuple[str, list]:
    """SELECT id, whistle_id, unit_id, state, k1, k2 (the order columns after id; k2 NULL for overdue
    stages): the stage's due rows without a claim, in index order after `after` (the order key where the
    previous batch of this pass stopped). On PostgreSQL the rows are locked, and rows another transaction
    holds are skipped, not waited for."""
    summons, claim = Summons._meta.db_table, SummonsClaim._meta.db_table
    t = _db_time(now)
    order = [f"s.{c}" for c in _order(stage)]
    # The states are written into the SQL as the partial indexes' predicates spell them (constants of
    # this module, not input): SQLite uses a partial index only when the query repeats its predicate
    # term for term with literals (`state = 'summoned'`, not `state IN (%s)`).
    assert all(re.fullmatch(r"[a-z_]+", st) for st in stage.states)
    literals = [f"'{st}'" for st in stage.states]
    states = f"= {literals[0]}" if len(literals) == 1 else f"IN ({', '.join(literals)})"
    where = f"s.state {states} AND {order[0]} <= %s"
    params: list = [t]
    if stage.before_column:
        where += f" AND s.{stage.before_column} > %s"
        params.append(t)
    if after is not None:
        where += f" AND ({', '.join(order)}) > ({', '.join(['%s'] * len(order))})"
        params += [_db_time(v) for v in after]
    pg = connection.vendor == "postgresql"
    # PostgreSQL: OFFSET 0 keeps the NOT EXISTS a per-row probe of the claims' primary key; as an
    # anti-join the planner, misled by stale statistics of a table the sweep itself just filled, may scan
    # the claims table for every due row. (SQLite probes the key anyway.)
    where += (
        f" AND NOT EXISTS (SELECT 1 FROM {claim} k WHERE k.summons_id = s.id AND k.stage = %s"
        f"{' OFFSET 0' if pg else ''})"
    )
    params.append(stage.key)
    lock = " FOR NO KEY UPDATE OF s SKIP LOCKED" if pg else ""
    # SQLite without statistics (Django never runs ANALYZE) prefers the equality on `state` of another
    # index, which reads every summoned row; the stage's partial index is named to it.
    hint = "" if pg else f" INDEXED BY {stage.index}"
    k2 = order[1] if len(order) == 3 else "NULL"
    sql = (
        f"SELECT s.id, s.whistle_id, s.unit_id, s.state, {order[0]} AS k1, {k2} AS k2 FROM {summons} s{hint} "
        f"WHERE {where} ORDER BY {', '.join(order)} LIMIT {int(limit)}{lock}"
    )
    return sql, params


def _after(stage: Stage, k1, k2, pk) -> tuple:
    return (k1, k2, int(pk)) if stage.before_column else (k1, int(pk))


def _dispatchers_sql(source: str) -> tuple[str, list]:
    """SELECT user_id, n: each street dispatcher and how many of the claimed rows (`source`, a table
    expression with a whistle_id column) are summonses of his street's whistles."""
    whistle, membership = Whistle._meta.db_table, Membership._meta.db_table
    user = Membership._meta.get_field("user").related_model._meta.db_table
    sql = (
        f"SELECT m.user_id, COUNT(*) AS n FROM {source} c JOIN {whistle} w ON w.id = c.whistle_id "
        f"JOIN {membership} m ON m.division_id = w.street_id AND m.role = %s "
        f"JOIN {user} u ON u.id = m.user_id AND u.is_active GROUP BY m.user_id"
    )
    return sql, ["street_dispatcher"]


def _unit_staff_join() -> tuple[str, list]:
    """JOIN clause: the handlers and leaders of the claimed rows' (alias c) units."""
    membership = Membership._meta.db_table
    user = Membership._meta.get_field("user").related_model._meta.db_table
    roles = sorted(people.UNIT_STAFF_ROLES)
    sql = (
        f"JOIN {membership} m ON m.unit_id = c.unit_id AND m.role IN ({', '.join(['%s'] * len(roles))}) "
        f"JOIN {user} u ON u.id = m.user_id AND u.is_active"
    )
    return sql, roles


def _board_url() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("platform:board", "whistles:list"):
        try:
            return reverse(name) + ("" if name == "platform:board" else "?overdue=1")
        except NoReverseMatch:
            continue
    return "/whistles/?overdue=1"


@dataclass
class _Texts:
    """The bell rows' text (in the default language) and link around the whistle id, their message id, and the
    dispatchers' line around the count, as SQL pieces."""

    text_prefix: str
    text_suffix: str
    message: str
    url_prefix: str
    url_suffix: str
    disp: tuple[
        str, str, str
    ]  # dispatchers' line: prefix and suffix of the text around the count, message id
    board: str
    now: object  # the sweep time as the backend stores it
    data: str  # the events' JSON


DISPATCHER_TEXTS = {
    "report_in": N_("Supervision: %(n)s unit(s) overdue to report in on your street's whistles"),
    "finish": N_("Supervision: %(n)s unit(s) overdue to finish on your street's whistles"),
}


def _around(message: str, key: str) -> tuple[str, str]:
    """The default language's text of `message` before and after the value of `key`."""
    marker = "987654321"
    return tuple(render(message, {key: marker}, settings.LANGUAGE_CODE).split(marker, 1))


def _texts(stage: Stage, now: dt.datetime) -> _Texts:
    from shaobao.whistles.steps import whistle_url

    marker = "987654321"
    url_prefix, url_suffix = whistle_url(int(marker)).split(marker, 1)
    disp = DISPATCHER_TEXTS[stage.stage]
    return _Texts(
        *_around(stage.text, "whistle"), stage.text, url_prefix, url_suffix,
        (*_around(disp, "n"), disp),
        _board_url() if stage.kind == SupervisionKind.SUPERVISION else "",
        _db_time(now), json.dumps({"stage": stage.stage, "kind": stage.kind}),
    )  # fmt: skip


def _json_of(key: str, sql_value: str, pg: bool) -> str:
    """SQL for the notification's params {key: value} (a number column)."""
    text = f"'{{\"{key}\": ' || CAST({sql_value} AS TEXT) || '}}'"
    return f"CAST({text} AS jsonb)" if pg else text


@dataclass
class _Batch:
    due: int = 0  # due rows found (claimed or not)
    last: tuple | None = None  # (deadline, id) of the last due row: the next batch starts after it
    claimed: int = 0
    per_user: Counter = field(default_factory=Counter)  # bell rows per user (for the e-mail digest)
    claimed_ids: list = field(default_factory=list)  # (summons id, whistle id), when the event is listened to


def _batch_pg(stage: Stage, now: dt.datetime, limit: int, after, tx: _Texts) -> _Batch:
    """PostgreSQL: find, lock, claim and write a batch in ONE statement (data-modifying CTEs fed by the
    claim's RETURNING): one round trip, the claimed rows never read again by id, no per-row Python."""
    sql, params = _batch_pg_sql(stage, now, limit, after, tx)
    out = _Batch()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for kind, a, b, k1, k2 in cur.fetchall():
            if kind == "last":
                out.last, out.due = _after(stage, k1, k2, a), int(b)
            elif kind == "claimed":
                out.claimed = int(a)
            elif kind == "id":
                out.claimed_ids.append((int(a), int(b)))
            else:
                out.per_user[int(a)] += int(b)
    return out


def _batch_pg_sql(stage: Stage, now: dt.datetime, limit: int, after, tx: _Texts) -> tuple[str, list]:
    event_t, order_t = Event._meta.db_table, SupervisionOrder._meta.db_table
    notif_t, claim_t = Notification._meta.db_table, SummonsClaim._meta.db_table
    due_sql, due_params = _due_sql(stage, now, limit, after)
    staff_sql, staff_params = _unit_staff_join()
    parts = [
        f"WITH due AS ({due_sql})",
        f"claimed AS (INSERT INTO {claim_t} (summons_id, stage, claimed_at) SELECT id, %s, %s FROM due "
        f"ON CONFLICT DO NOTHING RETURNING summons_id)",
        "c AS (SELECT d.id, d.whistle_id, d.unit_id, d.state FROM due d JOIN claimed k ON k.summons_id = d.id)",
        f"ev AS (INSERT INTO {event_t} (subject_type, subject_id, action, actor_id, at, from_state, to_state, "
        f"note, data) SELECT %s, c.id, %s, NULL, %s, c.state, c.state, '', CAST(%s AS jsonb) FROM c)",
        f"ord AS (INSERT INTO {order_t} (summons_id, kind, stage, issued_at, resolved_at, escalated_at, note) "
        f"SELECT c.id, %s, %s, %s, NULL, NULL, %s FROM c)",
        f"bell AS (INSERT INTO {notif_t} (user_id, text, message, params, url, created_at) "
        f"SELECT m.user_id, %s || CAST(c.whistle_id AS TEXT) || %s, %s, {_json_of('whistle', 'c.whistle_id', True)}, "
        f"%s || CAST(c.whistle_id AS TEXT) || %s, %s FROM c {staff_sql} RETURNING user_id)",
    ]
    params = [
        *due_params, stage.key, tx.now,
        Summons._meta.label_lower, stage.key, tx.now, tx.data,
        stage.kind, stage.stage, tx.now, stage.key,
        tx.text_prefix, tx.text_suffix, tx.message, tx.url_prefix, tx.url_suffix, tx.now, *staff_params,
    ]  # fmt: skip
    tail = ""
    if stage.also_claim:
        parts.append(
            f"also AS (INSERT INTO {claim_t} (summons_id, stage, claimed_at) SELECT summons_id, %s, %s "
            f"FROM claimed ON CONFLICT DO NOTHING)"
        )
        params += [stage.also_claim, tx.now]
    if stage.kind == SupervisionKind.SUPERVISION:
        # The street's dispatchers get one line per batch (how many of their whistles' units are late),
        # not one per summons.
        disp_sql, disp_params = _dispatchers_sql("c")
        parts.append(f"disp AS ({disp_sql})")
        parts.append(
            f"dbell AS (INSERT INTO {notif_t} (user_id, text, message, params, url, created_at) SELECT user_id, "
            f"%s || CAST(n AS TEXT) || %s, %s, {_json_of('n', 'n', True)}, %s, %s FROM disp)"
        )
        params += [*disp_params, *tx.disp, tx.board, tx.now]
        tail = " UNION ALL SELECT 'user', user_id, n, NULL, NULL FROM disp"
        if events.has_subscribers(events.SUMMONS_OVERDUE):
            tail += " UNION ALL SELECT 'id', id, whistle_id, NULL, NULL FROM c"
    sql = (
        ", ".join(parts) + " SELECT 'last', l.id, (SELECT COUNT(*) FROM due), l.k1, l.k2 FROM "
        "(SELECT id, k1, k2 FROM due ORDER BY k1 DESC, k2 DESC, id DESC LIMIT 1) l "
        "UNION ALL SELECT 'claimed', COUNT(*), NULL, NULL, NULL FROM c "
        "UNION ALL SELECT 'user', user_id, COUNT(*), NULL, NULL FROM bell GROUP BY user_id" + tail
    )
    return sql, params


def _batch_generic(stage: Stage, now: dt.datetime, limit: int, after, tx: _Texts) -> _Batch:
    """SQLite (writers are serialised by the database lock): the same steps as separate statements, each
    set-based over the claimed ids."""
    event_t, order_t = Event._meta.db_table, SupervisionOrder._meta.db_table
    notif_t, claim_t, summons_t = (
        Notification._meta.db_table,
        SummonsClaim._meta.db_table,
        Summons._meta.db_table,
    )
    due_sql, due_params = _due_sql(stage, now, limit, after)
    out = _Batch()
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, k1, k2 FROM ({due_sql}) ORDER BY k1, k2, id", due_params)
        due = cur.fetchall()
        if not due:
            return out
        out.due, out.last = len(due), _after(stage, due[-1][1], due[-1][2], due[-1][0])
        id_list = ",".join(str(int(row[0])) for row in due)
        cur.execute(
            f"INSERT INTO {claim_t} (summons_id, stage, claimed_at) SELECT id, %s, %s FROM {summons_t} "
            f"WHERE id IN ({id_list}) ON CONFLICT DO NOTHING RETURNING summons_id",
            [stage.key, tx.now],
        )
        ids = [int(r[0]) for r in cur.fetchall()]
        out.claimed = len(ids)
        if not ids:
            return out
        id_list = ",".join(map(str, ids))
        if stage.also_claim:
            cur.execute(
                f"INSERT INTO {claim_t} (summons_id, stage, claimed_at) SELECT id, %s, %s FROM {summons_t} "
                f"WHERE id IN ({id_list}) ON CONFLICT DO NOTHING",
                [stage.also_claim, tx.now],
            )
        cur.execute(
            f"INSERT INTO {event_t} (subject_type, subject_id, action, actor_id, at, from_state, "
            f"to_state, note, data) SELECT %s, id, %s, NULL, %s, state, state, '', %s "
            f"FROM {summons_t} WHERE id IN ({id_list})",
            [Summons._meta.label_lower, stage.key, tx.now, tx.data],
        )
        cur.execute(
            f"INSERT INTO {order_t} (summons_id, kind, stage, issued_at, resolved_at, escalated_at, note) "
            f"SELECT id, %s, %s, %s, NULL, NULL, %s FROM {summons_t} WHERE id IN ({id_list})",
            [stage.kind, stage.stage, tx.now, stage.key],
        )
        staff_sql, staff_params = _unit_staff_join()
        cur.execute(
            f"INSERT INTO {notif_t} (user_id, text, message, params, url, created_at, read_at) "
            f"SELECT m.user_id, %s || CAST(c.whistle_id AS TEXT) || %s, %s, "
            f"{_json_of('whistle', 'c.whistle_id', False)}, %s || CAST(c.whistle_id AS TEXT) || %s, %s, NULL "
            f"FROM (SELECT id, whistle_id, unit_id FROM {summons_t} WHERE id IN ({id_list})) c {staff_sql} "
            f"RETURNING user_id",
            [tx.text_prefix, tx.text_suffix, tx.message, tx.url_prefix, tx.url_suffix, tx.now, *staff_params],
        )
        out.per_user.update(int(r[0]) for r in cur.fetchall())
        if stage.kind == SupervisionKind.SUPERVISION and events.has_subscribers(events.SUMMONS_OVERDUE):
            cur.execute(f"SELECT id, whistle_id FROM {summons_t} WHERE id IN ({id_list}) ORDER BY id")
            out.claimed_ids = [(int(a), int(b)) for a, b in cur.fetchall()]
        if stage.kind == SupervisionKind.SUPERVISION:
            disp_sql, disp_params = _dispatchers_sql(
                f"(SELECT whistle_id FROM {summons_t} WHERE id IN ({id_list}))"
            )
            cur.execute(disp_sql, disp_params)
            rows = []
            for uid, n in cur.fetchall():
                out.per_user[int(uid)] += int(n)
                pre, suf, message = tx.disp
                rows.append(
                    Notification(
                        user_id=uid, text=f"{pre}{n}{suf}", message=message, params={"n": n}, url=tx.board
                    )
                )
            Notification.objects.bulk_create(rows)
    return out


def _run_stage(stage: Stage, now: dt.datetime, batch: int, result: SweepResult) -> None:
    """Batches of one stage, each in its own transaction, walking the stage's index forward."""
    tx = _texts(stage, now)
    run = _batch_pg if connection.vendor == "postgresql" else _batch_generic
    after = None
    while True:
        with transaction.atomic():
            got = run(stage, now, batch, after, tx)
            if got.claimed and stage.kind == SupervisionKind.SUPERVISION:
                # Everyone gets one digest e-mail per batch (one queued task, after commit).
                digest_on_commit(dict(got.per_user), "督办：您有 {n} 项已超时 / {n} item(s) overdue")
            if got.claimed:
                result.counts[str(stage.key)] += got.claimed
            if got.claimed_ids:
                # One event per batch (not per row): the overdue summonses the batch claimed.
                ids = sorted(got.claimed_ids)
                events.emit_on_commit(
                    events.SUMMONS_OVERDUE,
                    stage=stage.stage,
                    summons_ids=[i for i, _ in ids],
                    whistle_ids=sorted({w for _, w in ids}),
                    count=len(ids),
                )
        if got.due < batch:
            return
        after = got.last


def _escalation_cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    """The latest issue time of a supervision order that is due for escalation now (None: none is).

    Adding working days is monotonic in the start, so the issue times that qualify are a prefix of the
    open orders' distinct issue times: a binary search asks the calendar a few times, not once per order
    (the sweep issues a batch of orders with one time)."""
    times = list(
        SupervisionOrder.objects.filter(
            kind=SupervisionKind.SUPERVISION,
            resolved_at__isnull=True,
            escalated_at__isnull=True,
            issued_at__lte=now - dt.timedelta(days=days),
        )
        .order_by("issued_at")
        .values_list("issued_at", flat=True)
        .distinct()
    )
    lo, hi = 0, len(times)  # times[:lo] qualify, times[hi:] do not
    while lo < hi:
        mid = (lo + hi) // 2
        if add_working_days(times[mid], days) <= now:
            lo = mid + 1
        else:
            hi = mid
    return times[lo - 1] if lo else None


def _claim_orders(ids: list[int], now: dt.datetime) -> list[int]:
    """Mark these orders escalated where no one has (not resolved, not escalated); the ids we now own."""
    table = SupervisionOrder._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET escalated_at = %s WHERE id IN ({', '.join(str(int(i)) for i in ids)}) "
            f"AND escalated_at IS NULL AND resolved_at IS NULL RETURNING id",
            [_db_time(now)],
        )
        return [int(r[0]) for r in cur.fetchall()]


def _escalate(now: dt.datetime, batch: int, result: SweepResult) -> None:
    """A supervision order unresolved for SUPERVISION_ESCALATE_WORKING_DAYS (1) → escalation (提级).

    Per batch: one conditional UPDATE ... RETURNING claims the orders (two sweepers never both escalate
    one), one query reads them, three bulk inserts write orders, events and bell rows; the recipients
    (district coordinators per street, leaders per unit) are looked up once per pass."""
    days = getattr(settings, "SUPERVISION_ESCALATE_WORKING_DAYS", 1)
    cutoff = _escalation_cutoff(now, days)
    if cutoff is None:
        return
    coordinators: dict[int, set[int]] = {}
    leaders: dict[int, set[int]] = {}
    after = 0
    while True:
        chunk = list(
            SupervisionOrder.objects.filter(
                kind=SupervisionKind.SUPERVISION,
                resolved_at__isnull=True,
                escalated_at__isnull=True,
                issued_at__lte=cutoff,
                pk__gt=after,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not chunk:
            return
        after = chunk[-1]
        with transaction.atomic():
            owned = _claim_orders(chunk, now)
            if not owned:
                continue
            orders = list(
                SupervisionOrder.objects.filter(pk__in=owned).select_related(
                    "summons", "summons__unit", "summons__whistle__street"
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
                street = o.summons.whistle.street
                if street.pk not in coordinators:
                    coordinators[street.pk] = set(people.coordinators(street))
                if o.summons.unit_id not in leaders:
                    leaders[o.summons.unit_id] = set(people.unit_staff([o.summons.unit_id], ("unit_leader",)))
                fields = row_fields(
                    msg(
                        N_("Escalated: %(unit)s did not act on a supervision order (whistle #%(whistle)s)"),
                        unit=o.summons.unit.name,
                        whistle=o.summons.whistle_id,
                    )
                )
                rows += [
                    Notification(user_id=u, url=f"/whistles/{o.summons.whistle_id}/", **fields)
                    for u in coordinators[street.pk] | leaders[o.summons.unit_id]
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
