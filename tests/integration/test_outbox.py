"""Nothing is lost between an action's commit and the systems that listen (core.events' outbox): the event
commits with the action, and what a dead process or a failing subscriber did not tell, the worker tells
later — once to each subscriber still owed it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from shaobao.core import events
from shaobao.core.models import OutboxEvent
from shaobao.webhooks import actions as webhooks
from shaobao.webhooks.models import WebhookDelivery, WebhookEvent
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


@pytest.fixture
def listen():
    """listen(name, handler): subscribed for this test only."""
    made = []

    def add(name, handler):
        events.subscribe(name, handler)
        made.append((name, handler))

    yield add
    for name, handler in made:
        events.unsubscribe(name, handler)


def test_the_event_commits_with_the_action_and_a_dead_process_loses_nothing(
    world, listen, django_capture_on_commit_callbacks
):
    heard = []
    listen("demand.received", heard.append)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies right after the commit
        demand = new_demand(world)
    row = OutboxEvent.objects.get(name="demand.received")
    assert row.payload["tracking_code"] == demand.tracking_code and heard == []
    assert (
        events.redeliver_due(now=timezone.now())["told"] == 0
    )  # not before the in-process path had its time
    assert events.redeliver_due(now=later(2))["told"] >= 1
    assert [e.id for e in heard] == [row.event_id]  # the same id: receivers de-duplicate on it
    assert heard[0].payload["tracking_code"] == demand.tracking_code
    assert not OutboxEvent.objects.filter(name="demand.received").exists()
    events.redeliver_due(now=later(5))
    assert len(heard) == 1  # told once


def test_told_in_process_leaves_no_row(world, listen, django_capture_on_commit_callbacks):
    heard = []
    listen("demand.received", heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    assert len(heard) == 1 and not OutboxEvent.objects.exists()


def test_a_rolled_back_action_leaves_no_event(world, listen, django_capture_on_commit_callbacks):
    heard = []
    listen("demand.received", heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            new_demand(world)
            raise RuntimeError("rolled back")
    assert heard == [] and not OutboxEvent.objects.exists()
    events.redeliver_due(now=later(10))
    assert heard == []


def test_a_failing_subscriber_is_retried_alone_with_backoff(
    world, listen, django_capture_on_commit_callbacks
):
    heard, tries = [], []
    down = {"yes": True}

    def flaky(event):
        tries.append(event.id)
        if down["yes"]:
            raise RuntimeError("SMS gateway down")

    listen("demand.received", heard.append)
    listen("demand.received", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    assert len(heard) == 1 and len(tries) == 1
    row = OutboxEvent.objects.get(name="demand.received")
    assert row.pending == [events.handler_key(flaky)] and row.attempts == 1
    assert "SMS gateway down" in row.last_error
    events.redeliver_due(now=later(2))  # still down: the next try waits longer
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at > later(3)
    down["yes"] = False
    events.redeliver_due(now=later(10))
    assert len(tries) == 3 and len(heard) == 1  # the subscriber that heard it is not told again
    assert not OutboxEvent.objects.exists()


def test_a_webhook_is_delivered_once_after_the_process_died(
    world, receiver, django_capture_on_commit_callbacks
):
    r = receiver()
    webhooks.do_create_subscription(
        actor=world.users["admin"], name="12345", url=r.url, events=["demand.received"]
    )
    with django_capture_on_commit_callbacks(execute=False):
        demand = new_demand(world)
    assert r.requests == [] and WebhookEvent.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        events.redeliver_due(now=later(2))
    assert [q.json()["data"]["tracking_code"] for q in r.requests] == [demand.tracking_code]
    # Told again (a sweep that ran while the first telling was slow): no second event, no second delivery.
    stored = WebhookEvent.objects.get()
    event = events.DomainEvent(stored.name, stored.payload, id=stored.event_id)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.on_event(event)
    assert WebhookDelivery.objects.count() == 1 and len(r.requests) == 1


def test_a_derived_event_is_owed_once(world, listen, django_capture_on_commit_callbacks):
    heard = []
    listen("demand.closed", heard.append)
    parent = events.derived_id("abc", "x")
    with django_capture_on_commit_callbacks(execute=False):
        events.emit_on_commit("demand.closed", event_id=parent, demand_id=1)
        events.emit_on_commit("demand.closed", event_id=parent, demand_id=1)  # its cause told twice
    assert OutboxEvent.objects.filter(event_id=parent).count() == 1
    events.redeliver_due(now=later(2))
    assert len(heard) == 1 and heard[0].id == parent == events.derived_id("abc", "x")


def test_the_admin_shows_events_a_subscriber_failed_and_retries_them(
    world, listen, client, django_user_model, django_capture_on_commit_callbacks
):
    def broken(event):
        raise RuntimeError("down")

    listen("demand.received", broken)
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456"))
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 event still owed to a subscriber (retried by the worker)" in index
    assert "1 个事件尚未送达订阅方" in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = OutboxEvent.objects.get()
    listing = client.get("/admin/core/outboxevent/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and row.event_id in listing.content.decode()
    client.post("/admin/core/outboxevent/", {"action": "retry_now", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.next_attempt_at <= timezone.now()
