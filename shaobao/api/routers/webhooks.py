"""Webhook subscriptions (administrators), their deliveries and replays (issue 14, part 4)."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_integration import (
    DeliveryOut,
    EventNamesOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionSecretOut,
)
from shaobao.core import events
from shaobao.webhooks import actions
from shaobao.webhooks.access import require_manager
from shaobao.webhooks.models import WebhookDelivery, WebhookSubscription

router = Router(tags=["webhooks 事件订阅"])


def subscription_out(sub: WebhookSubscription, *, secret: bool = False) -> dict:
    out = {
        "id": sub.pk,
        "name": sub.name,
        "url": sub.url,
        "events": list(sub.events or []),
        "district": sub.district.code if sub.district_id else None,
        "channel": sub.channel,
        "is_active": sub.is_active,
        "created_at": sub.created_at,
    }
    if secret:
        out["secret"] = sub.secret
    return out


def delivery_out(d: WebhookDelivery) -> dict:
    return {
        "id": d.pk,
        "event_id": d.event.event_id,
        "event": d.event.name,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at,
        "replay_of": d.replay_of_id,
        "attempt_log": [
            {
                "number": a.number,
                "at": a.at,
                "status_code": a.status_code,
                "error": a.error,
                "response_body": a.response_body,
                "duration_ms": a.duration_ms,
            }
            for a in d.attempt_rows.all()
        ],
    }


@router.get(
    "/webhooks/events",
    response={200: EventNamesOut, **error_responses(400, 401, 403)},
    summary="可订阅的事件 / Event names",
)
def event_names(request: HttpRequest):
    require_manager(request.user)
    return {"events": list(events.NAMES)}


@router.get(
    "/webhooks/subscriptions",
    response={200: list[SubscriptionOut], **error_responses(400, 401, 403)},
    summary="订阅列表 / List subscriptions",
)
@paginate(PagePagination)
def list_subscriptions(request: HttpRequest):
    return [subscription_out(s) for s in actions.visible_subscriptions(request.user)]


@router.post(
    "/webhooks/subscriptions",
    response={201: SubscriptionSecretOut, **error_responses(400, 401, 403)},
    summary="新建订阅 / Create a subscription",
    description="Answers the signing secret once; deliveries are signed with it (docs/integration.md).",
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn):
    sub = actions.do_create_subscription(actor=request.user, **payload.dict())
    return Status(201, subscription_out(sub, secret=True))


@router.get(
    "/webhooks/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **error_responses(400, 401, 403, 404)},
    summary="订阅 / A subscription",
)
def get_subscription(request: HttpRequest, subscription_id: int):
    return subscription_out(actions.access_subscription(request.user, subscription_id))


@router.patch(
    "/webhooks/subscriptions/{subscription_id}",
    response={200: SubscriptionSecretOut, **error_responses(400, 401, 403, 404)},
    summary="修改订阅 / Change a subscription",
)
def update_subscription(request: HttpRequest, subscription_id: int, payload: SubscriptionPatch):
    data = payload.dict()
    sub = actions.do_update_subscription(actor=request.user, subscription_id=subscription_id, **data)
    return subscription_out(sub, secret=True)


@router.delete(
    "/webhooks/subscriptions/{subscription_id}",
    response={204: None, **error_responses(400, 401, 403, 404)},
    summary="删除订阅 / Delete a subscription",
)
def delete_subscription(request: HttpRequest, subscription_id: int):
    actions.do_delete_subscription(actor=request.user, subscription_id=subscription_id)
    return HttpResponse(status=204)


class DeliveryFilters(Schema):
    status: str | None = None
    event: str | None = None


@router.get(
    "/webhooks/subscriptions/{subscription_id}/deliveries",
    response={200: list[DeliveryOut], **error_responses(400, 401, 403, 404)},
    summary="投递记录 / Deliveries of a subscription",
)
@paginate(PagePagination)
def list_deliveries(request: HttpRequest, subscription_id: int, filters: Query[DeliveryFilters]):
    sub = actions.access_subscription(request.user, subscription_id)
    qs = sub.deliveries.select_related("event").prefetch_related("attempt_rows").order_by("-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.event:
        qs = qs.filter(event__name=filters.event)
    return _Lazy(qs)


class _Lazy:
    def __init__(self, qs):
        self.qs = qs

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [delivery_out(d) for d in self.qs[item]]


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response={202: DeliveryOut, **error_responses(400, 401, 403, 404)},
    summary="重新投递 / Replay a delivery",
)
def replay_delivery(request: HttpRequest, delivery_id: int):
    require_manager(request.user)
    (replay,) = actions.do_replay(actor=request.user, delivery_ids=[delivery_id])
    replay = (
        WebhookDelivery.objects.select_related("event").prefetch_related("attempt_rows").get(pk=replay.pk)
    )
    return Status(202, delivery_out(replay))
