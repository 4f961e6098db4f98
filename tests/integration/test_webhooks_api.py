"""The webhooks API: administrators manage their district's subscriptions; nobody else may."""

from __future__ import annotations

import pytest

from shaobao.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks/subscriptions"


def test_administrator_creates_lists_changes_and_deletes(api_as, world):
    api = api_as("admin")
    r = api.post(BASE, {"name": "12345", "url": "https://hotline.example/hook", "events": ["demand.closed"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["secret"].startswith("whsec_") and body["district"] == world.district.code
    sub_id = body["id"]
    listed = api.get(BASE).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    r = api.client.patch(
        f"{BASE}/{sub_id}",
        {"events": ["demand.closed", "demand.called_back"], "rotate_secret": True},
        content_type="application/json",
        headers=api.headers,
    )
    assert r.status_code == 200 and r.json()["secret"] != body["secret"]
    assert WebhookSubscription.objects.get().events == ["demand.called_back", "demand.closed"]
    r = api.client.delete(f"{BASE}/{sub_id}", headers=api.headers)
    assert r.status_code == 204 and not WebhookSubscription.objects.exists()


def test_bad_input_names_the_field_and_writes_nothing(api_as):
    r = api_as("admin").post(BASE, {"name": "x", "url": "javascript:alert(1)", "events": ["demand.nope"]})
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"url", "events"}
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("persona", ["dispatcher", "coordinator", "lead_handler", "resident", "nobody"])
def test_only_administrators_manage_subscriptions(api_as, persona):
    r = api_as(persona).post(BASE, {"name": "x", "url": "https://x.example/", "events": ["demand.closed"]})
    assert r.status_code == 403
    assert api_as(persona).get(BASE).status_code == 403


def test_anonymous_is_401(anon):
    assert anon.get(BASE).status_code == 401


def test_deliveries_and_replay(api_as, world, django_capture_on_commit_callbacks):
    api = api_as("admin")
    sub_id = api.post(
        BASE, {"name": "dead", "url": "http://127.0.0.1:9/hook", "events": ["demand.received"]}
    ).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    page = api.get(f"{BASE}/{sub_id}/deliveries").json()
    assert page["count"] == 1
    d = page["results"][0]
    assert d["status"] == "pending" and d["attempts"] == 1 and d["attempt_log"][0]["status_code"] is None
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"/api/v1/webhooks/deliveries/{d['id']}/replay")
    assert r.status_code == 202 and r.json()["replay_of"] == d["id"]
    assert WebhookDelivery.objects.count() == 2
    assert api_as("dispatcher").post(f"/api/v1/webhooks/deliveries/{d['id']}/replay").status_code == 403
