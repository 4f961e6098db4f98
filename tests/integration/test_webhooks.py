"""Webhooks: events reach subscribed systems, signed, retried with backoff until they are taken, never twice
to one subscription (unless replayed), every attempt recorded."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core import events
from shaobao.core.errors import Forbidden, ValidationFailed
from shaobao.webhooks import actions, delivery, signing
from shaobao.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db


def subscribe(world, url, names=("demand.received",), **kw):
    return actions.do_create_subscription(
        actor=world.users["admin"], name="12345 平台", url=url, events=list(names), **kw
    )


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_received_demand_is_delivered_signed(world, receiver, django_capture_on_commit_callbacks):
    r = receiver()
    sub = subscribe(world, r.url + "/hook")
    with django_capture_on_commit_callbacks(execute=True):
        demand = new_demand(world)
    assert len(r.requests) == 1
    got = r.requests[0]
    body = got.json()
    assert body["event"] == "demand.received"
    assert body["data"]["tracking_code"] == demand.tracking_code
    assert body["data"]["street"] == world.street_a.code
    # No personal data in a payload.
    assert "13812345678" not in got.body.decode() and "张三" not in got.body.decode()
    ts, sig = got.headers[signing.TIMESTAMP_HEADER], got.headers[signing.SIGNATURE_HEADER]
    assert signing.verify(sub.secret, got.body, ts, sig)
    assert not signing.verify("whsec_wrong", got.body, ts, sig)
    assert not signing.verify(sub.secret, got.body.replace(b"demand", b"Demand"), ts, sig)
    assert not signing.verify(sub.secret, got.body, ts, sig, now=int(ts) + 3600)  # too old
    d = WebhookDelivery.objects.get()
    assert d.status == "delivered" and d.attempts == 1 and d.last_status_code == 200
    assert got.headers[signing.DELIVERY_HEADER] == str(d.pk)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and json.loads(attempt.response_body) == {"ok": True}


def test_nothing_is_told_when_the_action_rolls_back(world, receiver, django_capture_on_commit_callbacks):
    r = receiver()
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                new_demand(world)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert r.requests == [] and WebhookEvent.objects.count() == 0


def test_a_failing_receiver_that_recovers_gets_everything_once(
    world, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_RETRY_DELAY = 60
    r = receiver(fail_first=7)
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [new_demand(world, subject=f"违建 {i}").tracking_code for i in range(5)]
    assert len(r.requests) == 5 and not r.ok()  # all five first attempts failed
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}
    # Not due yet: nothing is sent again before the backoff has passed.
    assert delivery.retry_due(timezone.now()) == 0
    # The worker's sweep, as time passes (backoff 60 s, then 120 s).
    delivery.retry_due(later(2))  # 5 more attempts: 2 fail (requests 6, 7), 3 succeed
    delivery.retry_due(later(2))  # nothing due yet for the 2 (their backoff doubled)
    delivery.retry_due(later(10))
    delivery.retry_due(later(60))  # nothing left
    ok_ids = [x.json()["id"] for x in r.ok()]
    assert len(ok_ids) == 5 and len(set(ok_ids)) == 5  # nothing lost, nothing taken twice
    assert sorted(x.json()["data"]["tracking_code"] for x in r.ok()) == sorted(codes)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    attempts = sorted(WebhookDelivery.objects.values_list("attempts", flat=True))
    assert attempts == [2, 2, 2, 3, 3]
    assert WebhookAttempt.objects.filter(status_code=503).count() == 7
    assert len(r.requests) == 12


def test_backoff_doubles_and_gives_up(world, receiver, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_RETRY_DELAY = 30
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    r = receiver(fail_first=100)
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    d = WebhookDelivery.objects.get()
    assert d.next_attempt_at - WebhookAttempt.objects.get().at == dt.timedelta(seconds=30)
    for minutes in (1, 5, 60, 600):
        delivery.retry_due(later(minutes))
    d.refresh_from_db()
    assert d.status == "failed" and d.attempts == 3 and len(r.requests) == 3


def test_a_refused_connection_is_an_attempt_too(world, receiver, django_capture_on_commit_callbacks):
    r = receiver()
    url = r.url
    r.close()  # nobody listens there any more
    subscribe(world, url)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "Error" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


def test_one_event_is_never_delivered_twice_to_one_subscription(world, receiver):
    r = receiver()
    sub = subscribe(world, r.url)
    event = events.DomainEvent("demand.received", {"demand_id": 1, "channel": "grid_patrol"})
    ids = actions.on_event(event)
    assert len(ids) == 1
    assert actions.on_event(event) == ids  # told the same event again (the outbox's redelivery): nothing new
    stored = WebhookEvent.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(event=stored, subscription=sub)
    assert WebhookDelivery.objects.count() == 1


def test_replay_sends_the_same_event_again(world, receiver, django_capture_on_commit_callbacks):
    r = receiver()
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    first = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        (replay,) = actions.do_replay(actor=world.users["admin"], delivery_ids=[first.pk])
    replay.refresh_from_db()
    assert replay.replay_of_id == first.pk and replay.status == "delivered"
    assert [x.json()["id"] for x in r.requests] == [first.event.event_id] * 2
    with pytest.raises(Forbidden):
        actions.do_replay(actor=world.users["dispatcher"], delivery_ids=[first.pk])


def test_filters_by_event_channel_and_district(world, receiver, django_capture_on_commit_callbacks):
    hotline, closed_only = receiver(), receiver()
    subscribe(world, hotline.url, channel="hotline_12345")
    subscribe(world, closed_only.url, names=("demand.closed",))
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)  # grid patrol
        new_demand(world, channel="hotline_12345")
    assert [x.json()["data"]["channel"] for x in hotline.requests] == ["hotline_12345"]
    assert closed_only.requests == []


def test_district_subscriptions_hear_only_their_district(world, receiver, django_capture_on_commit_callbacks):
    from shaobao.webhooks.models import WebhookSubscription

    mine, theirs = receiver(), receiver()
    subscribe(world, mine.url)
    assert WebhookSubscription.objects.get().district == world.district  # an administrator's district
    WebhookSubscription.objects.create(
        name="朝阳", url=theirs.url, events=["demand.received"], district=world.other_district
    )
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    assert len(mine.requests) == 1 and theirs.requests == []


def test_who_may_manage_subscriptions(world):
    for persona in ("dispatcher", "coordinator", "lead_handler", "resident"):
        with pytest.raises(Forbidden):
            subscribe_as(world, persona)
    with pytest.raises(ValidationFailed) as err:
        actions.do_create_subscription(actor=world.users["admin"], name="x", url="ftp://x", events=["nope"])
    assert set(err.value.fields) == {"url", "events"}
    with pytest.raises(ValidationFailed):  # an administrator cannot subscribe to another district
        actions.do_create_subscription(
            actor=world.users["admin"],
            name="x",
            url="http://x.example/",
            events=["demand.received"],
            district=world.other_district.code,
        )


def subscribe_as(world, persona):
    return actions.do_create_subscription(
        actor=world.users[persona], name="x", url="http://x.example/", events=["demand.received"]
    )


def test_the_lease_keeps_two_workers_from_sending_at_once(world, receiver):
    r = receiver()
    subscribe(world, r.url)
    (pk,) = actions.on_event(events.DomainEvent("demand.received", {"demand_id": 1}))
    now = timezone.now()
    assert delivery._claim(pk, now)
    assert not delivery._claim(pk, now)  # held
    assert delivery.attempt(pk, now) is None and r.requests == []
    assert delivery._claim(pk, now + dt.timedelta(minutes=5))  # a dead worker's lease expired


def test_signature_example_in_the_docs_verifies():
    body = b'{"event":"demand.received"}'
    ts = int(time.time())
    assert signing.verify("whsec_test", body, str(ts), signing.sign("whsec_test", ts, body))
    assert not signing.verify("whsec_test", body, "not-a-number", "sha256=00")


def test_the_admin_pages_speak_the_pages_language(
    world, receiver, client, django_capture_on_commit_callbacks
):
    """A delivery's admin page (with its attempts) in Chinese has Chinese labels, not field names."""
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    client.cookies["django_language"] = "zh-hans"
    r = receiver()
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    d = WebhookDelivery.objects.get()
    page = client.get(f"/admin/webhooks/webhookdelivery/{d.pk}/change/").content.decode()
    assert "订阅" in page and "重放自" in page
    for english in ("Replay of", "Lease until", "Subscription", "WebhookAttempt object"):
        assert english not in page
    page = client.get(f"/admin/webhooks/webhooksubscription/{d.subscription_id}/change/").content.decode()
    assert "创建人" in page and "Created by" not in page


def test_an_administrator_replays_from_the_admin(world, receiver, client, django_capture_on_commit_callbacks):
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    r = receiver()
    subscribe(world, r.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    first = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "replay", "_selected_action": [first.pk]},
            follow=True,
        )
    assert response.status_code == 200
    replay = WebhookDelivery.objects.get(replay_of=first)
    assert replay.status == "delivered"
    assert [x.json()["id"] for x in r.requests] == [first.event.event_id] * 2  # the same event, again
    assert r.requests[1].headers[signing.DELIVERY_HEADER] == str(replay.pk)
