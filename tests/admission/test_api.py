"""/api/v1/admission-requests and /api/v1/community-catalogue: lists, filters, permissions, 400s naming the
field with nothing written, 409 on a second decision (also under a race)."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from shaobao.admission.models import AdmissionRequest, CatalogueEntry
from tests.admission.conftest import today
from tests.admission.test_race import _race
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

BODY = {
    "unit": "CGZF",
    "kind": "ledger",
    "name": "违法建设巡查台账",
    "basis": "《城乡规划法》第六十四条",
    "reason": "需要社区每月报送",
}


def body(**kw):
    return {**BODY, "valid_from": today().isoformat(), **kw}


def test_a_department_files_and_the_coordinator_approves(world, api_as):
    response = api_as("lead_handler").post("/api/v1/admission-requests", body(communities=["110117001001"]))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "pending" and created["all_communities"] is False
    assert created["communities"] == [{"code": "110117001001", "name": "承平里社区"}]
    decided = api_as("coordinator").post(
        f"/api/v1/admission-requests/{created['id']}/decide", {"decision": "approve"}
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == "approved" and decided.json()["entry_code"] == "TZ-001"
    again = api_as("admin").post(
        f"/api/v1/admission-requests/{created['id']}/decide", {"decision": "refuse", "note": "不同意"}
    )
    assert assert_error(again, 409, "already_decided")["fields"] == {
        "state": again.json()["error"]["fields"]["state"]
    }
    catalogue = api_as("dispatcher").get("/api/v1/community-catalogue", {"community": "110117001001"}).json()
    assert [e["code"] for e in catalogue["results"]] == ["TZ-001"]
    assert catalogue["results"][0]["request_id"] == created["id"]
    assert (
        api_as("dispatcher").get("/api/v1/community-catalogue", {"community": "110117002001"}).json()["count"]
        == 0
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "parade"}, "kind"),
        ({"valid_until": "2000-01-01"}, "valid_until"),
        ({"valid_from": "not-a-date"}, "valid_from"),
        ({"name": ""}, "name"),
        ({"reason": "   "}, "reason"),
        ({"unit": "NOPE"}, "unit"),
        ({"communities": ["110105001001"]}, "communities"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(world, api_as, changes, field):
    response = api_as("lead_handler").post("/api/v1/admission-requests", body(**changes))
    error = assert_error(response, 400)
    assert field in error["fields"], error
    assert not AdmissionRequest.objects.exists()


def test_a_seventh_outside_signboard_is_a_400(world, api_as, add_entry):
    for i in range(6):
        add_entry(name=f"牌子{i}", kind="signboard", outside=True)
    response = api_as("lead_handler").post(
        "/api/v1/admission-requests", body(kind="signboard", name="城管执法公示牌", outside=True)
    )
    assert "outside" in assert_error(response, 400, "signboard_limit")["fields"]
    assert not AdmissionRequest.objects.exists()


def test_refusing_without_a_reason_is_a_400(world, api_as, file_request):
    req = file_request()
    response = api_as("coordinator").post(
        f"/api/v1/admission-requests/{req.pk}/decide", {"decision": "refuse"}
    )
    assert "note" in assert_error(response, 400)["fields"]
    bad = api_as("coordinator").post(f"/api/v1/admission-requests/{req.pk}/decide", {"decision": "maybe"})
    assert "decision" in assert_error(bad, 400)["fields"]
    assert AdmissionRequest.objects.get().state == "pending"


def test_permissions_by_organisation(world, api_as, anon, file_request):
    req = file_request()
    assert_error(api_as("supporting_handler").post("/api/v1/admission-requests", body()), 403)
    assert_error(api_as("dispatcher").get("/api/v1/admission-requests"), 403)
    assert_error(api_as("resident").get("/api/v1/community-catalogue"), 403)
    assert_error(anon.get("/api/v1/admission-requests"), 401)
    assert_error(
        api_as("lead_handler").post(f"/api/v1/admission-requests/{req.pk}/decide", {"decision": "approve"}),
        403,
    )
    assert_error(api_as("outsider").get(f"/api/v1/admission-requests/{req.pk}"), 404)
    assert api_as("supporting_handler").get("/api/v1/admission-requests").json()["count"] == 0
    assert api_as("lead_leader").get("/api/v1/admission-requests").json()["count"] == 1


def test_lists_are_paginated_and_filtered(world, api_as, add_entry, file_request):
    for i in range(3):
        add_entry(name=f"履职事项{i}", kind="duty")
    add_entry(
        name="旧证明",
        kind="certificate",
        valid_from=today() - dt.timedelta(days=60),
        valid_until=today() - dt.timedelta(days=1),
    )
    client = api_as("coordinator")
    page = client.get("/api/v1/community-catalogue", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/v1/community-catalogue", {"kind": "duty"}).json()["count"] == 3
    assert (
        client.get("/api/v1/community-catalogue", {"in_force": "false"}).json()["results"][0]["name"]
        == "旧证明"
    )
    assert client.get("/api/v1/community-catalogue", {"q": "履职事项1"}).json()["count"] == 1
    assert (
        "kind" in assert_error(client.get("/api/v1/community-catalogue", {"kind": "nonsense"}), 400)["fields"]
    )
    assert (
        "community"
        in assert_error(client.get("/api/v1/community-catalogue", {"community": "999"}), 400)["fields"]
    )
    file_request()
    file_request(kind="meeting", name="例会")
    assert client.get("/api/v1/admission-requests", {"kind": "meeting"}).json()["count"] == 1
    assert client.get("/api/v1/admission-requests", {"state": "approved"}).json()["count"] == 0
    assert "state" in assert_error(client.get("/api/v1/admission-requests", {"state": "x"}), 400)["fields"]


def test_the_codes_are_listed_in_the_openapi_schema(world, api_as):
    schema = api_as("coordinator").get("/api/v1/openapi.json").json()
    text = str(schema)
    for code in ("certificate_abolished", "assisting_duty", "signboard", "approve"):
        assert code in text
    assert "/api/v1/admission-requests/{request_id}/decide" in schema["paths"]


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_racing_through_the_api_get_200_and_409(world, api_as, file_request):
    coordinator, admin = api_as("coordinator"), api_as("admin")
    for round_ in range(3):
        req = file_request(name=f"台账{round_}")
        path = f"/api/v1/admission-requests/{req.pk}/decide"
        responses = _race(
            functools.partial(coordinator.post, path, {"decision": "approve"}),
            functools.partial(admin.post, path, {"decision": "refuse", "note": "不同意"}),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
        state = AdmissionRequest.objects.get(pk=req.pk).state
        assert CatalogueEntry.objects.filter(request=req).count() == (state == "approved")


def test_a_retried_request_with_the_same_key_answers_the_first(world, api_as):
    api = api_as("lead_handler")
    first = api.post("/api/v1/admission-requests", body(), **{"Idempotency-Key": "a-1"})
    assert first.status_code == 201
    again = api.post("/api/v1/admission-requests", body(name="另一个"), **{"Idempotency-Key": "a-1"})
    assert again.status_code == 200 and again.json() == first.json()
    other = api.post("/api/v1/admission-requests", body(), **{"Idempotency-Key": "a-2"})
    assert other.status_code == 201  # another key: another request
    assert AdmissionRequest.objects.count() == 2
