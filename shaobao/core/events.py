"""Domain events: what the chain tells the systems around it (webhooks, SMS, the 12345 gateway).

The actions (intake, whistles, platform) call `emit_on_commit(name, **payload)` after their writes; the
apps above them (webhooks, sms, hotline) `subscribe(name, handler)` from their AppConfig.ready(). Each
handler is called as `handler(event)` with a `DomainEvent` once the action's transaction commits (at
once when there is none), so a rolled-back action tells nobody anything. A handler that raises is
logged and does not stop the others (nor the action: it has committed already).

Cost when nobody listens: one dict look-up, no query and no on_commit callback. The payload holds only
what the action has in hand (ids, codes, states): a handler reads anything else it needs itself, in
the worker where it can. Personal data (names, phones) never goes into a payload.

Names (docs/integration.md lists each payload):
    demand.received, demand.placed, demand.closed, demand.called_back, demand.callback_failed,
    whistle.blown, summons.overdue, broadcast.sent
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

DEMAND_RECEIVED = "demand.received"
DEMAND_PLACED = "demand.placed"
DEMAND_CLOSED = "demand.closed"
DEMAND_CALLED_BACK = "demand.called_back"
DEMAND_CALLBACK_FAILED = "demand.callback_failed"
WHISTLE_BLOWN = "whistle.blown"
SUMMONS_OVERDUE = "summons.overdue"
BROADCAST_SENT = "broadcast.sent"

NAMES = [
    DEMAND_RECEIVED,
    DEMAND_PLACED,
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


_subscribers: dict[str, list[Callable[[DomainEvent], None]]] = {}


def subscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    """Call `handler(event)` after commit for every event `name` (idempotent: one registration)."""
    handlers = _subscribers.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    handlers = _subscribers.get(name, [])
    if handler in handlers:
        handlers.remove(handler)
    if not handlers:
        _subscribers.pop(name, None)


def has_subscribers(name: str) -> bool:
    return name in _subscribers


def emit_on_commit(name: str, **payload) -> None:
    """Tell the subscribers of `name` once the current transaction commits."""
    handlers = _subscribers.get(name)
    if not handlers:
        return
    event = DomainEvent(name, payload)
    subscribers = tuple(handlers)

    def tell() -> None:
        deliver(event, subscribers)

    tell.domain_event = event  # tests that count an action's on_commit callbacks tell these apart
    transaction.on_commit(tell)


def deliver(event: DomainEvent, handlers=None) -> None:
    for handler in handlers if handlers is not None else tuple(_subscribers.get(event.name, ())):
        try:
            handler(event)
        except Exception:  # the action has committed: a subscriber's failure is its own
            log.exception("event %s (%s): subscriber %r failed", event.name, event.id, handler)
