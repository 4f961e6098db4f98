"""Sending one delivery: claim it, POST the signed body, record the attempt, decide what comes next.

A delivery is claimed by a conditional UPDATE (pending and due, or sending with an expired lease → sending
with a lease), so two workers (the scheduled retry and the minute's sweep) never send it at once; the
HTTP call runs outside any transaction. 2xx: delivered. Anything else (an HTTP error, a refused
connection, a timeout): the attempt is recorded and the delivery waits `backoff(n)` (WEBHOOK_RETRY_DELAY
seconds, doubling, at most WEBHOOK_RETRY_MAX_DELAY) before the next, until WEBHOOK_MAX_ATTEMPTS; then it
is failed (an administrator can replay it from the admin).

Delivery is at least once: if the worker dies after the receiver answered but before the answer is
recorded, the lease expires and the delivery is sent again. Receivers de-duplicate on the body's `id`
(the event's id, the same in every attempt and replay) or the X-Shaobao-Delivery header.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shaobao.webhooks import signing
from shaobao.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

log = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1 → base, 2 → 2 × base, ...)."""
    base = _setting("WEBHOOK_RETRY_DELAY", 30)
    cap = _setting("WEBHOOK_RETRY_MAX_DELAY", 6 * 3600)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def body_of(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    doc = {
        "id": event.event_id,
        "event": event.name,
        "occurred_at": event.occurred_at,
        "data": event.payload,
    }
    return json.dumps(doc, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True).encode()


def _claim(pk: int, now: dt.datetime) -> bool:
    lease = now + dt.timedelta(seconds=_setting("WEBHOOK_TIMEOUT", 5) * 3 + 30)
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    return bool(
        WebhookDelivery.objects.filter(due, pk=pk).update(status=DeliveryStatus.SENDING, lease_until=lease)
    )


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str, str]:
    """(HTTP status or None, response text, error)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    limit = _setting("WEBHOOK_RESPONSE_LIMIT", 2000)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            return response.status, response.read(limit).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        text = exc.read(limit).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, text, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"[:300]


def attempt(pk: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """One attempt at a delivery if it is due and nobody else holds it; when to try again (None: done,
    not due, or held by another worker)."""
    now = now or timezone.now()
    if not _claim(pk, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "subscription").get(pk=pk)
    sub = delivery.subscription
    body = body_of(delivery)
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Shaobao-Webhooks/1",
        signing.EVENT_HEADER: delivery.event.name,
        signing.DELIVERY_HEADER: str(delivery.pk),
        signing.TIMESTAMP_HEADER: str(ts),
        signing.SIGNATURE_HEADER: signing.sign(sub.secret, ts, body),
    }
    started = time.monotonic()
    status, text, error = post(sub.url, body, headers, _setting("WEBHOOK_TIMEOUT", 5))
    ms = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    number = delivery.attempts + 1
    done_at = timezone.now()
    retry_at = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookAttempt.objects.create(
                    delivery=delivery,
                    number=number,
                    at=done_at,
                    status_code=status,
                    error=error,
                    response_body=text,
                    duration_ms=ms,
                )
        except IntegrityError:  # another worker recorded this attempt after our lease expired
            log.warning("webhook delivery %s: attempt %s already recorded", pk, number)
            return None
        fields = {"attempts": number, "last_status_code": status, "lease_until": None}
        if ok:
            fields.update(status=DeliveryStatus.DELIVERED, delivered_at=done_at)
        elif number >= _setting("WEBHOOK_MAX_ATTEMPTS", 8):
            fields.update(status=DeliveryStatus.FAILED)
        else:
            retry_at = done_at + backoff(number)
            fields.update(status=DeliveryStatus.PENDING, next_attempt_at=retry_at)
        WebhookDelivery.objects.filter(pk=pk).update(**fields)
    if not ok:
        log.info("webhook delivery %s to %s failed (%s), attempt %s", pk, sub.url, error, number)
    return retry_at


def due_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    return list(
        WebhookDelivery.objects.filter(due)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def retry_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Attempt every due delivery (the worker's minute sweep: retries, and anything a lost task left)."""
    now = now or timezone.now()
    sent = 0
    for pk in due_ids(now, limit):
        attempt(pk, now)
        sent += 1
    return sent
