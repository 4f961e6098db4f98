"""Domain events: what the chain tells the systems around it (webhooks, SMS, the 12345 gateway).

The actions (intake, whistles, platform) call `emit_on_commit(name, **payload)` after their writes; the
apps above them (webhooks, sms, hotline) `subscribe(name, handler)` from their AppConfig.ready(). Each
handler is called as `handler(event)` with a `DomainEvent` once the action's transaction commits, so a
rolled-back action tells nobody anything.

Nothing is lost between the commit and the subscribers (a transactional outbox): when anyone listens, the
event is written as a `core.OutboxEvent` row *inside the action's transaction*. After the commit the
subscribers are told in-process and the row is deleted. A subscriber that raises is logged, does not stop
the others (nor the action: it has committed), and stays owed the event; so does every subscriber when the
process dies before telling them. The worker's sweep (`redeliver_due`, every minute) tells the subscribers
still owed an event once it is `OUTBOX_RECOVER_AFTER` seconds old, with backoff; subscribers therefore
de-duplicate on `event.id` (webhooks: one stored event per id; SMS: one message per id and template).

Cost when nobody listens: one dict look-up, no query and no on_commit callback; when someone does: one
insert in the action's transaction and one delete after it. The payload holds only what the action has in
hand (ids, codes, states): a handler reads anything else it needs itself, in the worker where it can.
Personal data (names, phones) never goes into a payload.

Names (docs/integration.md lists each payload):
    demand.received, demand.placed, demand.replied, demand.closed, demand.called_back, demand.callback_failed,
    whistle.blown, summons.overdue, broadcast.sent
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

DEMAND_RECEIVED = "demand.received"
DEMAND_PLACED = "demand.placed"
DEMAND_REPLIED = (
    "demand.replied"  # a reply the tracking page shows: the street's report, the lead unit's feedback
)
DEMAND_CLOSED = "demand.closed"
DEMAND_CALLED_BACK = "demand.called_back"
DEMAND_CALLBACK_FAILED = "demand.callback_failed"
WHISTLE_BLOWN = "whistle.blown"
SUMMONS_OVERDUE = "summons.overdue"
BROADCAST_SENT = "broadcast.sent"

NAMES = [
    DEMAND_RECEIVED,
    DEMAND_PLACED,
    DEMAND_REPLIED,
    DEMAND_CLOSED,
    DEMAND_CALLED_BACK,
    DEMAND_CALLBACK_FAILED,
    WHISTLE_BLOWN,
    SUMMONS_OVERDUE,
    BROADCAST_SENT,
]
_on_register: list[Callable[[str], None]] = []


def register(name: str) -> None:
    """An app above adds an event of its own (the 12345 gateway's `hotline.order.updated`): it is listed
    with the others, and the listeners of every event (webhooks) hear it too."""
    if name in NAMES:
        return
    NAMES.append(name)
    for callback in _on_register:
        callback(name)


def on_register(callback: Callable[[str], None]) -> None:
    """`callback(name)` for each event registered from now on."""
    _on_register.append(callback)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict
    occurred_at: object = field(default_factory=timezone.now)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def derived_id(parent_id: str, name: str) -> str:
    """The id of an event a subscriber emits on hearing `parent_id`: the same on every redelivery, so the
    event it causes is de-duplicated like its cause."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{parent_id}/{name}").hex


Handler = Callable[[DomainEvent], None]
_subscribers: dict[str, list[Handler]] = {}


def handler_key(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def subscribe(name: str, handler: Handler) -> None:
    """Call `handler(event)` after commit for every event `name` (idempotent: one registration)."""
    handlers = _subscribers.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    handlers = _subscribers.get(name, [])
    if handler in handlers:
        handlers.remove(handler)
    if not handlers:
        _subscribers.pop(name, None)


def has_subscribers(name: str) -> bool:
    return name in _subscribers


def _recover_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "OUTBOX_RECOVER_AFTER", 60))


def emit_on_commit(name: str, *, event_id: str | None = None, **payload) -> None:
    """Record `name` in the current transaction and tell its subscribers once it commits.

    `event_id`: a fixed id (`derived_id`) for an event caused by another; emitting it again is a no-op
    while it is still owed to anyone."""

    if event_id is None:
        emit_all_on_commit([(name, payload)])
        return
    handlers = _subscribers.get(name)
    if not handlers:
        return
    event = DomainEvent(name, payload, id=event_id)
    try:
        with transaction.atomic():  # a savepoint: a repeated derived event must not spoil the action
            row = _outbox_row(event)
            row.save(force_insert=True)
    except IntegrityError:
        return  # still owed to its subscribers (its cause was told again)
    _on_commit([(row.pk, event, tuple(handlers))])


def emit_all_on_commit(items: list[tuple[str, dict]]) -> None:
    """Several events of one action, `[(name, payload), …]`: one insert for all, told in this order."""
    pending = [
        (DomainEvent(name, payload), tuple(_subscribers[name]))
        for name, payload in items
        if _subscribers.get(name)
    ]
    if not pending:
        return
    ids = _insert_rows([event for event, _ in pending])
    pks = [ids[event.id] for event, _ in pending]
    _on_commit([(pk, event, handlers) for pk, (event, handlers) in zip(pks, pending, strict=True)])


# Every accepted demand writes its events here (intake is the hottest path): hand-built statements, made
# once per row count, through core.db's hot cursor, instead of the ORM's bulk_create and delete.
_INSERT_SQL: dict[int, str] = {}
_DELETE_SQL: dict[int, str] = {}
_COLUMNS = "event_id, name, payload, occurred_at, pending, attempts, next_attempt_at, last_error"


def _insert_rows(items: list[DomainEvent]) -> dict[str, int]:
    """One INSERT of the events' outbox rows in the current transaction: {event id: row id}."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection

    from shaobao.core.db import hot_cursor
    from shaobao.core.models import OutboxEvent

    n = len(items)
    sql = _INSERT_SQL.get(n)
    if sql is None:
        row = "(%s, %s, %s, %s, %s, 0, %s, '')"
        sql = _INSERT_SQL[n] = (
            f"INSERT INTO {OutboxEvent._meta.db_table} ({_COLUMNS}) VALUES {', '.join([row] * n)} "
            "RETURNING id, event_id"
        )
    ops, later = connection.ops, _recover_after()
    params = []
    for e in items:
        params += [
            e.id,
            e.name,
            ops.adapt_json_value(e.payload, DjangoJSONEncoder),
            ops.adapt_datetimefield_value(e.occurred_at),
            ops.adapt_json_value([], None),
            ops.adapt_datetimefield_value(e.occurred_at + later),
        ]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        return {event_id: pk for pk, event_id in cursor.fetchall()}


def _delete_rows(ids: list[int]) -> None:
    from shaobao.core.db import hot_cursor
    from shaobao.core.models import OutboxEvent

    n = len(ids)
    sql = _DELETE_SQL.get(n)
    if sql is None:
        sql = _DELETE_SQL[n] = (
            f"DELETE FROM {OutboxEvent._meta.db_table} WHERE id IN ({', '.join(['%s'] * n)})"
        )
    with hot_cursor() as cursor:
        cursor.execute(sql, ids)


def _outbox_row(event: DomainEvent):
    from shaobao.core.models import OutboxEvent

    return OutboxEvent(
        event_id=event.id,
        name=event.name,
        payload=event.payload,
        occurred_at=event.occurred_at,
        next_attempt_at=event.occurred_at + _recover_after(),
    )


def _on_commit(told: list[tuple[int, DomainEvent, tuple]]) -> None:
    def tell() -> None:
        _tell(told)

    tell.domain_event = told[0][1]  # tests that count an action's on_commit callbacks tell these apart
    transaction.on_commit(tell)


def deliver(event: DomainEvent, handlers=None) -> list[tuple[Handler, str]]:
    """Tell each handler; the ones that raised, with their error (logged, never raised)."""
    failed = []
    # In the sweep's transaction each subscriber gets a savepoint, so one's database error spoils no other's.
    guard = transaction.atomic if transaction.get_connection().in_atomic_block else contextlib.nullcontext
    for handler in handlers if handlers is not None else tuple(_subscribers.get(event.name, ())):
        try:
            with guard():
                handler(event)
        except Exception as exc:  # the action has committed: a subscriber's failure is its own
            log.exception("event %s (%s): subscriber %r failed", event.name, event.id, handler)
            failed.append((handler, f"{handler_key(handler)}: {type(exc).__name__}: {exc}"[:1000]))
    return failed


def _tell(told: list[tuple[int, DomainEvent, tuple]]) -> None:
    """After the commit: tell each event's subscribers; clear the rows told to all (one delete), keep the
    others for the sweep with the subscribers still owed them."""
    from shaobao.core.models import OutboxEvent

    done = []
    for row_id, event, handlers in told:
        failed = deliver(event, handlers)
        if not failed:
            done.append(row_id)
            continue
        try:  # the sweep retries just these, from their first backoff
            OutboxEvent.objects.filter(pk=row_id).update(
                pending=[handler_key(h) for h, _ in failed],
                attempts=1,
                next_attempt_at=timezone.now() + _backoff(1),
                last_error="\n".join(e for _, e in failed),
            )
        except DatabaseError:
            log.exception("event %s (%s): outbox row not updated", event.name, event.id)
    try:
        if done:
            _delete_rows(done)
    except DatabaseError:  # told already; the sweep will tell them again (subscribers de-duplicate)
        log.exception("events %s: outbox rows not cleared", done)


def _backoff(attempts: int) -> dt.timedelta:
    return min(_recover_after() * (2 ** max(attempts - 1, 0)), dt.timedelta(hours=1))


def redeliver_due(now: dt.datetime | None = None, *, batch: int = 500) -> dict:
    """The worker's sweep: tell events still owed (a dead process, a failed subscriber) to those owed them."""
    from shaobao.core.models import OutboxEvent

    now = now or timezone.now()
    told = failed = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)  # two workers: each its own rows
                .filter(next_attempt_at__lte=now)
                .order_by("next_attempt_at")[:batch]
            )
            for row in rows:
                handlers = tuple(_subscribers.get(row.name, ()))
                if row.pending:
                    handlers = tuple(h for h in handlers if handler_key(h) in set(row.pending))
                event = DomainEvent(row.name, row.payload, occurred_at=row.occurred_at, id=row.event_id)
                errors = deliver(event, handlers)
                if not errors:
                    row.delete()
                    told += 1
                    continue
                failed += 1
                row.attempts += 1
                row.pending = [handler_key(h) for h, _ in errors]
                row.next_attempt_at = now + _backoff(row.attempts)
                row.last_error = "\n".join(e for _, e in errors)
                row.save(update_fields=["attempts", "pending", "next_attempt_at", "last_error"])
        if len(rows) < batch:
            return {"told": told, "failed": failed}
