"""/api/v1/deployments and /api/v1/cadre-assessments: lists (paginated, filtered, scoped) and creates
(400 naming the field, nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.forces.models import AssessmentRound, Deployment
from tests.api.conftest import assert_error as _assert_error


def assert_error(response, status: int) -> dict:
    _assert_error(response, status)
    return response.json()


pytestmark = pytest.mark.django_db


@pytest.fixture
def api(forces, api_as):  # api_as: tests/api/conftest.py, imported by this folder's conftest
    return api_as


def test_list_scoped_filtered_and_paginated(forces, world, api):
    body = api("coordinator").get("/api/v1/deployments", {"page_size": 1}).json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    assert {r["mode"] for r in api("coordinator").get("/api/v1/deployments").json()["results"]} == {
        "enforcement",
        "department_service",
    }
    only_a = api("dispatcher").get("/api/v1/deployments").json()
    assert [r["id"] for r in only_a["results"]] == [forces.deployment.pk]
    assert api("outsider").get("/api/v1/deployments").json()["count"] == 0
    c = api("coordinator")
    assert c.get("/api/v1/deployments", {"host": world.street_b.code}).json()["count"] == 1
    assert (
        c.get("/api/v1/deployments", {"mode": "enforcement"}).json()["results"][0]["id"]
        == forces.deployment.pk
    )
    assert c.get("/api/v1/deployments", {"unit": "CGZF"}).json()["count"] == 2
    assert c.get("/api/v1/deployments", {"unit": "reserve"}).json()["count"] == 0
    long_ago = {"from": "2001-01-01", "to": "2001-12-31"}
    assert c.get("/api/v1/deployments", long_ago).json()["count"] == 0
    assert_error(c.get("/api/v1/deployments", {"mode": "parachute"}), 400)
    body = assert_error(c.get("/api/v1/deployments", {"from": "2026-02-01", "to": "2026-01-01"}), 400)
    assert "to" in body["error"]["fields"]
    assert_error(api("resident").get("/api/v1/deployments"), 403)


def deployment_body(forces, world, **kw):
    body = {
        "cadre_id": forces.reserve.pk,
        "mode": "key_task",
        "host": world.street_a.code,
        "starts_on": str(forces.today),
        "post": "攻坚组",
    }
    body.update(kw)
    return body


def test_create_deployment_and_errors_name_the_field(forces, world, api):
    c = api("coordinator")
    before = Deployment.objects.count()
    for kw, field in [
        ({"mode": "parachute"}, "mode"),
        ({"ends_on": str(forces.today - dt.timedelta(days=1))}, "ends_on"),
        ({"host": "999999999999"}, "host"),
        ({"cadre_id": forces.cadre.pk}, "cadre"),
    ]:
        body = assert_error(c.post("/api/v1/deployments", deployment_body(forces, world, **kw)), 400)
        assert field in body["error"]["fields"], (kw, body)
    assert Deployment.objects.count() == before
    r = c.post("/api/v1/deployments", deployment_body(forces, world))
    assert r.status_code == 201, r.content
    assert (
        r.json()["mode"] == "key_task"
        and r.json()["unit"] is None
        and r.json()["host"]["code"] == world.street_a.code
    )
    assert_error(
        api("dispatcher").post(
            "/api/v1/deployments", deployment_body(forces, world, cadre_id=forces.idle.pk)
        ),
        403,
    )


def assessment_body(forces, world, kinds, **kw):
    body = {
        "host": world.street_a.code,
        "title": "季度考核",
        "starts_on": str(forces.today - dt.timedelta(days=20)),
        "ends_on": str(forces.today),
        "assessors": [{"name": f"评议人{i}", "kind": k} for i, k in enumerate(kinds)],
        "scores": [{"deployment": forces.deployment.pk, "score": 92.5}],
    }
    body.update(kw)
    return body


def test_create_assessment_one_third_grassroots(forces, world, api):
    c = api("street_leader")
    few = ["street_official", "street_official", "unit_representative", "peoples_congress_deputy"]
    body = assert_error(c.post("/api/v1/cadre-assessments", assessment_body(forces, world, few)), 400)
    assert "assessors" in body["error"]["fields"]
    body = assert_error(c.post("/api/v1/cadre-assessments", assessment_body(forces, world, ["martian"])), 400)
    assert any(k.startswith("assessors") for k in body["error"]["fields"])
    body = assert_error(
        c.post(
            "/api/v1/cadre-assessments",
            assessment_body(forces, world, ["village_party_secretary"], ends_on="2000-01-01"),
        ),
        400,
    )
    assert "ends_on" in body["error"]["fields"]
    assert not AssessmentRound.objects.exists()
    ok = ["party_congress_deputy", "street_official", "street_official"]
    r = c.post("/api/v1/cadre-assessments", assessment_body(forces, world, ok))
    assert r.status_code == 201, r.content
    assert r.json()["grassroots"] == 1 and r.json()["average"] == 92.5
    listed = api("lead_handler").get("/api/v1/cadre-assessments", {"unit": "CGZF"}).json()
    assert listed["count"] == 1 and listed["results"][0]["scores"][0]["unit"] == "CGZF"
    assert api("dispatcher_b").get("/api/v1/cadre-assessments").json()["count"] == 0
    assert api("coordinator").get("/api/v1/cadre-assessments", {"mode": "key_task"}).json()["count"] == 0


def test_modes_are_listed_in_the_openapi_schema(api):
    schema = api("coordinator").get("/api/v1/openapi.json").json()
    text = str(schema["components"]["schemas"]["DeploymentIn"])
    for mode in (
        "enforcement",
        "key_task",
        "village_household",
        "department_service",
        "village_post",
        "community_checkin",
    ):
        assert mode in text
    assert "village_party_secretary" in str(schema["components"]["schemas"])


def test_a_create_sent_again_with_its_key_answers_the_first(forces, world, api):
    """A caller that lost the answer sends the same request with the same Idempotency-Key: 200 with what
    the first created (not a 400 "already deployed", not a second assessment round)."""
    c = api("coordinator")
    first = c.post("/api/v1/deployments", deployment_body(forces, world), **{"Idempotency-Key": "dep-1"})
    again = c.post("/api/v1/deployments", deployment_body(forces, world), **{"Idempotency-Key": "dep-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    leader = api("street_leader")
    body = assessment_body(forces, world, ["village_party_secretary", "street_official", "street_official"])
    rounds = [
        leader.post("/api/v1/cadre-assessments", body, **{"Idempotency-Key": "round-1"}) for _ in range(2)
    ]
    assert [r.status_code for r in rounds] == [201, 200]
    assert AssessmentRound.objects.count() == 1
