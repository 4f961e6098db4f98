"""Receiving 12345 work orders (one or a batch), and telling the platform what became of them.

A batch is all or nothing: every order is checked first, and any bad one answers 400 with each bad
order's row number and field (and the spreadsheet's column), writing nothing; otherwise every order is
received in ONE transaction (so no order is ever half-created: a demand without its order row, or the
reverse). An order number already received answers the tracking code it got the first time (status
"existing"), without a second demand; the same number twice in one batch too. Each new order becomes a
demand through intake's own receive action (channel hotline_12345), placed from its address and words;
its category gives the matter through the admin's mapping table.

When the demand gets a reply, is closed, called back or the callback could not reach the caller, `on_demand_event`
emits `hotline.order.updated` with the order number, which the 12345 platform's webhook subscription
receives (docs/integration.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from shaobao.core import events
from shaobao.core.errors import ValidationFailed
from shaobao.hotline import orders as order_format
from shaobao.hotline.access import require_gateway
from shaobao.hotline.models import CategoryMapping, HotlineOrder, OrderSource
from shaobao.intake import actions as intake
from shaobao.intake.models import Channel, Demand

ORDER_UPDATED = "hotline.order.updated"
MAX_BATCH = 5000


@dataclass
class RowError:
    row: int
    field: str
    message: str
    column: str = ""

    def key(self) -> str:
        return f"orders[{self.row}].{self.field}"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "column": self.column, "message": self.message}


class BatchInvalid(ValidationFailed):
    """400: the bad orders, each with its row (and column); nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.rows = errors
        super().__init__(
            f"{len(errors)} 处错误，未写入任何工单 / {len(errors)} error(s), no order was written",
            fields={e.key(): e.message for e in errors},
        )


@dataclass
class Answer:
    row: int
    order_no: str
    tracking_code: str
    demand_id: int
    status: str  # created | existing
    matter: str | None = None
    category_mapped: bool = False

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "order_no": self.order_no,
            "tracking_code": self.tracking_code,
            "tracking_url": tracking_url(self.tracking_code),
            "demand_id": self.demand_id,
            "status": self.status,
            "matter": self.matter,
            "category_mapped": self.category_mapped,
        }


@dataclass
class BatchResult:
    answers: list[Answer] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(a.status == "created" for a in self.answers)

    @property
    def existing(self) -> int:
        return sum(a.status == "existing" for a in self.answers)


def tracking_url(code: str) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('intake:track', args=[code])}"


def check_orders(
    rows: list[dict], *, row_numbers: list[int] | None = None, columns: dict[str, str] | None = None
) -> tuple[list[order_format.Order], list[RowError]]:
    """Every row read and checked; nothing written. `row_numbers`: the spreadsheet's rows (default 1..n);
    `columns`: field → the spreadsheet's column letter."""
    parsed, errors = [], []
    if not rows:
        errors.append(RowError(0, "orders", "没有工单 / No orders"))
    if len(rows) > MAX_BATCH:
        errors.append(RowError(0, "orders", f"每批最多{MAX_BATCH}条 / At most {MAX_BATCH} orders per batch"))
        return [], errors
    for i, raw in enumerate(rows):
        number = row_numbers[i] if row_numbers else i + 1
        order, bad = order_format.parse(raw)
        for name, message in bad.items():
            errors.append(RowError(number, name, message, (columns or {}).get(name, "")))
        parsed.append(order)
    return parsed, errors


def do_receive_orders(
    *,
    actor,
    rows: list[dict],
    source: str = OrderSource.API,
    row_numbers: list[int] | None = None,
    columns: dict[str, str] | None = None,
) -> BatchResult:
    require_gateway(actor)
    parsed, errors = check_orders(rows, row_numbers=row_numbers, columns=columns)
    if errors:
        raise BatchInvalid(errors)
    numbers = row_numbers or list(range(1, len(parsed) + 1))
    mappings = {m.category: m for m in CategoryMapping.objects.filter(is_active=True)}
    known = {
        o.order_no: o
        for o in HotlineOrder.objects.filter(order_no__in=[p.order_no for p in parsed]).select_related(
            "demand", "demand__matter"
        )
    }
    result = BatchResult()
    failures: list[RowError] = []
    with transaction.atomic():
        for number, order in zip(numbers, parsed, strict=True):
            hit = known.get(order.order_no)
            if hit is not None:
                result.answers.append(_answer(number, hit, "existing", mappings))
                continue
            try:
                made = _receive_one(actor, order, mappings.get(order.category), source)
            except ValidationFailed as exc:  # intake's own checks (e.g. an unknown street): reported
                for name, message in (exc.fields or {"order": str(exc)}).items():
                    failures.append(RowError(number, name, str(message), (columns or {}).get(name, "")))
                continue
            known[order.order_no] = made
            result.answers.append(_answer(number, made, made.status, mappings))
        if failures:
            transaction.set_rollback(True)
    if failures:
        raise BatchInvalid(failures)
    return result


def _receive_one(actor, order: order_format.Order, mapping: CategoryMapping | None, source: str):
    """The demand and its order row in one savepoint; a race on the order number reads the winner's."""
    try:
        with transaction.atomic():
            demand = intake.do_receive_demand(
                actor=actor,
                channel=Channel.HOTLINE_12345,
                kind=(mapping.kind if mapping else "complaint") or "complaint",
                subject=order.subject,
                body=order.content,
                reporter_name=order.caller,
                reporter_phone=order.phone,
                address=order.address,
                urgency="urgent" if order.urgent else "normal",
                matter_code=(mapping.matter_code or None) if mapping else None,
                idempotency_key=f"12345:{order.order_no}",
            )
            if order.deadline and demand.due_at is None:
                Demand.objects.filter(pk=demand.pk).update(due_at=order.deadline)
            row = HotlineOrder.objects.create(
                order_no=order.order_no,
                demand=demand,
                category=order.category,
                called_at=order.time,
                deadline=order.deadline,
                urgent=order.urgent,
                source=source,
                created_by=actor,
            )
            row.demand = demand
            row.status = "created"
            return row
    except IntegrityError:
        row = (
            HotlineOrder.objects.select_related("demand", "demand__matter")
            .filter(order_no=order.order_no)
            .first()
        )
        if row is None:
            raise
        row.status = "existing"
        return row


def _answer(number: int, row: HotlineOrder, status: str, mappings: dict) -> Answer:
    demand = row.demand
    matter = demand.matter.code if demand.matter_id else None
    return Answer(
        number, row.order_no, demand.tracking_code, demand.pk, status, matter, row.category in mappings
    )


# --- results back to the platform -------------------------------------------------------------------

STATUS_OF = {
    events.DEMAND_REPLIED: "replied",
    events.DEMAND_CLOSED: "closed",
    events.DEMAND_CALLED_BACK: "called_back",
    events.DEMAND_CALLBACK_FAILED: "callback_failed",
}


def on_demand_event(event: events.DomainEvent) -> None:
    """A hotline demand got a reply (the street's report, the lead unit's feedback), was closed, called
    back or not reached: tell the platform, with its order number."""
    payload = event.payload
    if payload.get("channel") != Channel.HOTLINE_12345:
        return  # no query for the other channels' demands
    row = HotlineOrder.objects.filter(demand_id=payload.get("demand_id")).only("order_no").first()
    if row is None:
        return
    out = {
        "order_no": row.order_no,
        "tracking_code": payload.get("tracking_code"),
        "demand_id": payload.get("demand_id"),
        "channel": Channel.HOTLINE_12345.value,
        "street": payload.get("street"),
        "status": STATUS_OF[event.name],
        "state": payload.get("state"),
    }
    for key in ("reply", "result", "solved", "satisfaction", "note"):
        if key in payload:
            out[key] = payload[key]
    events.emit_on_commit(ORDER_UPDATED, event_id=events.derived_id(event.id, ORDER_UPDATED), **out)
