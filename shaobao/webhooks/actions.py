"""Writes of the webhooks: subscriptions, the deliveries an event makes, replays.

`on_event` is the events' subscriber (core.events, after the action's commit): when an active subscription
wants the event, it stores the event and one delivery per subscription (unique per event and subscription)
in one transaction, and queues their sending after that commit. Sending, retries and the record of each
attempt are in `webhooks.delivery`, run by the worker (`webhooks.tasks`).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core import audit, events
from shaobao.core.errors import NotFound, ValidationFailed
from shaobao.org.models import Division
from shaobao.webhooks.access import managed_districts, require_manager
from shaobao.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    new_secret,
)

# --- which events anyone listens to: one query per CACHE seconds per process, none per event ------------

_names: tuple[float, frozenset[str]] | None = None


def subscribed_names() -> frozenset[str]:
    global _names
    now = time.monotonic()
    if _names is None or _names[0] < now:
        names: set[str] = set()
        for row in WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True):
            names.update(row or [])
        _names = (now + getattr(settings, "WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", 10), frozenset(names))
    return _names[1]


def forget_cached_names(*args, **kwargs) -> None:
    global _names
    _names = None


def _place_code(payload: dict) -> str | None:
    return payload.get("street") or payload.get("district")


def wants(sub: WebhookSubscription, name: str, payload: dict) -> bool:
    if name not in (sub.events or []):
        return False
    if sub.channel and payload.get("channel") != sub.channel:
        return False
    if sub.district_id is not None:
        code = _place_code(payload)
        if code and not code.startswith(sub.district.prefix):
            return False
    return True


def on_event(event: events.DomainEvent) -> list[int]:
    """Store the event and its deliveries (after the action's commit); queue the sending. The ids.
    Told the same event again (the outbox's redelivery), it stores and queues nothing more."""
    if event.name not in subscribed_names():
        return []
    subs = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True).select_related("district")
        if wants(s, event.name, event.payload)
    ]
    if not subs:
        return []
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event.id, name=event.name, payload=event.payload, occurred_at=event.occurred_at
            )
            ids = _create_deliveries(stored, subs)
    except IntegrityError:  # told again (core.events' outbox): its deliveries exist and were queued
        return list(WebhookDelivery.objects.filter(event__event_id=event.id).values_list("pk", flat=True))
    transaction.on_commit(lambda: _queue(ids))
    return ids


def _create_deliveries(stored: WebhookEvent, subs) -> list[int]:
    rows = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=stored, subscription=s, next_attempt_at=stored.occurred_at) for s in subs]
    )
    ids = [r.pk for r in rows]
    if any(i is None for i in ids):  # backends without RETURNING on bulk insert
        return list(stored.deliveries.order_by("pk").values_list("pk", flat=True))
    return ids


def _queue(ids: list[int]) -> None:
    from shaobao.webhooks import tasks

    for pk in ids:
        tasks.send_delivery(pk)


# --- subscriptions -------------------------------------------------------------------------------------


def _validate(data: dict, *, partial: bool = False) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not partial or "name" in data:
        name = (data.get("name") or "").strip()
        if not name:
            errors["name"] = "请填写名称 / Name is required"
        elif len(name) > 100:
            errors["name"] = "名称不超过100字 / Name: at most 100 characters"
    if not partial or "url" in data:
        url = (data.get("url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            errors["url"] = "请填写 http(s) 地址 / Give an http(s) URL"
    if not partial or "events" in data:
        names = data.get("events") or []
        if not isinstance(names, list) or not names:
            errors["events"] = "请选择事件 / Choose at least one event"
        elif unknown := sorted(set(names) - set(events.NAMES)):
            errors["events"] = f"未知事件 / Unknown event: {', '.join(map(str, unknown))}"
    if "channel" in data and data.get("channel"):
        from shaobao.intake.models import Channel

        if data["channel"] not in Channel.values:
            errors["channel"] = "渠道无效 / Unknown channel"
    return errors


def _district_for(actor, code: str | None) -> Division | None:
    districts = managed_districts(actor)
    if code:
        division = Division.objects.filter(code=Division.full_code(code), level="district").first()
        if division is None or (districts is not None and division not in districts):
            raise ValidationFailed("区不存在 / Unknown district", fields={"district": "not_found"})
        return division
    if districts is None:
        return None  # a superuser: every district
    if not districts:
        raise ValidationFailed("请指定区 / Give a district", fields={"district": "required"})
    return districts[0]


def do_create_subscription(
    *,
    actor,
    name: str,
    url: str,
    events: list[str],
    district: str | None = None,
    channel: str = "",
    is_active: bool = True,
) -> WebhookSubscription:
    require_manager(actor)
    data = {"name": name, "url": url, "events": events, "channel": channel}
    errors = _validate(data)
    if errors:
        raise ValidationFailed("订阅无效 / Invalid subscription", fields=errors)
    division = _district_for(actor, district)
    with transaction.atomic():
        sub = WebhookSubscription.objects.create(
            name=name.strip(),
            url=url.strip(),
            events=sorted(set(events)),
            district=division,
            channel=channel or "",
            is_active=is_active,
            created_by=actor,
        )
        audit.record(sub, "create", actor=actor, data={"url": sub.url, "events": sub.events})
    return sub


def visible_subscriptions(actor):
    require_manager(actor)
    districts = managed_districts(actor)
    qs = WebhookSubscription.objects.select_related("district")
    return qs if districts is None else qs.filter(district__in=districts)


def access_subscription(actor, pk: int) -> WebhookSubscription:
    sub = visible_subscriptions(actor).filter(pk=pk).first()
    if sub is None:
        raise NotFound("订阅不存在 / Subscription not found")
    return sub


def do_update_subscription(*, actor, subscription_id: int, rotate_secret: bool = False, **changes):
    changes = {k: v for k, v in changes.items() if v is not None}
    errors = _validate(changes, partial=True)
    if errors:
        raise ValidationFailed("订阅无效 / Invalid subscription", fields=errors)
    with transaction.atomic():
        sub = access_subscription(actor, subscription_id)
        sub = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        for field in ("name", "url", "channel", "is_active"):
            if field in changes:
                value = changes[field]
                setattr(sub, field, value.strip() if isinstance(value, str) else value)
        if "events" in changes:
            sub.events = sorted(set(changes["events"]))
        if rotate_secret:
            sub.secret = new_secret()
        sub.save()
        audit.record(
            sub, "update", actor=actor, data={"fields": sorted(changes), "rotated": bool(rotate_secret)}
        )
    return sub


def do_delete_subscription(*, actor, subscription_id: int) -> None:
    with transaction.atomic():
        sub = access_subscription(actor, subscription_id)
        audit.record(sub, "delete", actor=actor, data={"url": sub.url})
        sub.delete()


# --- replay ---------------------------------------------------------------------------------------------


def do_replay(*, actor, delivery_ids) -> list[WebhookDelivery]:
    """Send these deliveries' events again to their subscriptions (new deliveries, marked as replays)."""
    ids = sorted({int(i) for i in delivery_ids})
    with transaction.atomic():
        originals = list(
            WebhookDelivery.objects.filter(pk__in=ids, subscription__in=visible_subscriptions(actor))
            .select_related("event", "subscription")
            .order_by("pk")
        )
        if len(originals) != len(ids):
            raise NotFound("投递不存在 / Delivery not found")
        now = timezone.now()
        replays = [
            WebhookDelivery.objects.create(
                event=o.event, subscription=o.subscription, replay_of=o, next_attempt_at=now
            )
            for o in originals
        ]
        for o, r in zip(originals, replays, strict=True):
            audit.record(o, "replay", actor=actor, data={"replay": r.pk})
        new_ids = [r.pk for r in replays]
        transaction.on_commit(lambda: _queue(new_ids))
    return replays


__all__ = ["DeliveryStatus", "on_event"]
