"""Intake over the API: the answer and the stored rows of the fast write path are what the schema and
the ORM would give."""

from __future__ import annotations

import json

import pytest

from shaobao.api.api import api
from shaobao.api.schemas_workflow import DemandSummaryOut
from shaobao.core.models import Event, Notification
from shaobao.intake.models import Demand

pytestmark = pytest.mark.django_db


def schema_answer(demand: Demand, status: int) -> dict:
    """What ninja answers when the view returns the demand for `DemandSummaryOut`."""
    data = DemandSummaryOut.from_orm(demand).model_dump()
    return json.loads(api.renderer.render(None, data, response_status=status))


def test_answer_of_a_new_and_a_replayed_demand_is_the_schemas(world, api_as):
    client = api_as("dispatcher")
    body = {
        "channel": "hotline_12345",
        "kind": "help",
        "subject": "井盖缺失",
        "body": "路口井盖丢失",
        "lat": 40.145,
        "lng": 117.105,
        "urgency": "urgent",
        "matter": world.matter.code,
    }
    first = client.post("/api/v1/demands", body, **{"Idempotency-Key": "same"})
    assert first.status_code == 201 and first["Content-Type"].startswith("application/json")
    demand = Demand.objects.get()
    assert first.json() == schema_answer(demand, 201)
    assert first.json()["street"] == {"code": world.street_a.code, "name": world.street_a.name}
    assert first.json()["matter"]["code"] == world.matter.code
    replay = client.post("/api/v1/demands", body, **{"Idempotency-Key": "same"})
    assert replay.status_code == 200 and replay.json() == schema_answer(demand, 200)
    assert replay["Location"] == first["Location"] == f"/api/v1/demands/{demand.pk}"


def test_labels_of_the_answer_follow_the_language(world, api_as):
    body = {"channel": "hotline_12345", "subject": "路灯不亮", "body": "小区路灯坏了"}
    answer = api_as("dispatcher").post("/api/v1/demands", body, **{"Accept-Language": "en"}).json()
    assert answer["state_label"] == "received, awaiting triage"


def test_the_stored_demand_event_and_bell_row_are_what_the_action_returned(world, api_as):
    body = {
        "channel": "grid_patrol",
        "kind": "report",
        "subject": " 占道经营 ",
        "body": "路口占道",
        "reporter_name": "张三",
        "reporter_phone": "13812345678",
        "address": "承平里",
        "lat": 40.145,
        "lng": 117.105,
    }
    answer = api_as("dispatcher").post("/api/v1/demands", body, **{"Idempotency-Key": "k-1"}).json()
    stored = Demand.objects.get(pk=answer["id"])
    assert (stored.subject, stored.grid, stored.community, stored.street) == (
        "占道经营",
        world.grid_a1,
        world.community_a1,
        world.street_a,
    )
    assert (stored.state, stored.rework_count, stored.satisfaction, stored.solved) == (
        "received",
        0,
        "",
        None,
    )
    assert stored.idempotency_key == "k-1" and stored.created_by == world.users["dispatcher"]
    assert stored.received_at.isoformat().startswith(answer["received_at"][:19])
    event = Event.objects.get(subject_type="intake.demand", subject_id=stored.pk)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "receive",
        world.users["dispatcher"],
        "",
        "received",
    )
    assert event.data == {
        "channel": "grid_patrol",
        "placement": "coordinates",
        "confidence": 1.0,
        "candidates": 0,
        "photos": 0,
    }
    bell = Notification.objects.get(user=world.users["dispatcher"])
    assert bell.text == f"新诉求 {stored.tracking_code}：占道经营"
    assert bell.url == f"/demands/{stored.pk}/" and bell.read_at is None
