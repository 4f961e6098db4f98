"""/api/v1/powers, /street-notes, /recommendations: permissions, 400 naming the field, 409 on a second answer."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.powers.models import DelegatedPower, StationedStaff
from tests.api.conftest import ApiClient, assert_error  # noqa: F401
from tests.intake.flow import blow, lead_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(world):
    from shaobao.api.actions import do_issue_token

    def make(persona: str) -> ApiClient:
        _, raw = do_issue_token(user=world.users[persona], name=f"test-{persona}")
        return ApiClient(raw)

    return make


def body(world, **kw):
    data = {
        "code": "CF-0001",
        "name": "对违法建设的行政处罚",
        "category": "penalty",
        "legal_basis": "《北京市城乡规划条例》第六十八条",
        "department": world.lead_unit.code,
        "streets": [world.street_a.code[:9]],
        "effective_date": "2019-07-01",
        "matters": [world.matter.code],
    }
    data.update(kw)
    return data


def test_create_without_legal_basis_is_400_naming_the_field(world, api_as):
    response = api_as("coordinator").post("/api/v1/powers", body(world, legal_basis=""))
    error = assert_error(response, 400)
    assert "legal_basis" in error["fields"]
    # left out beside another bad field, it is named with it
    missing = {k: v for k, v in body(world, category="fine").items() if k != "legal_basis"}
    error = assert_error(api_as("coordinator").post("/api/v1/powers", missing), 400)
    assert {"legal_basis", "category"} <= set(error["fields"])
    assert not DelegatedPower.objects.exists()


def test_create_bad_category_and_unknown_street(world, api_as):
    response = api_as("coordinator").post("/api/v1/powers", body(world, category="fine"))
    assert "category" in assert_error(response, 400)["fields"]
    response = api_as("coordinator").post("/api/v1/powers", body(world, streets=["110105001"]))
    assert "streets" in assert_error(response, 400)["fields"]
    assert not DelegatedPower.objects.exists()


def test_create_list_filter_withdraw(world, api_as, team_a):
    api = api_as("coordinator")
    response = api.post("/api/v1/powers", body(world))
    assert response.status_code == 201, response.content
    power = response.json()
    assert power["in_force"] is True and power["streets"] == [world.street_a.code]
    assert [v["change"] for v in power["versions"]] == ["created"]
    assert_error(api.post("/api/v1/powers", body(world)), 400)  # the same code again
    api.post(
        "/api/v1/powers", body(world, code="JC-0001", category="inspection", streets=[world.street_b.code])
    )
    listed = api.get("/api/v1/powers", {"category": "penalty"}).json()
    assert listed["count"] == 1 and listed["results"][0]["code"] == "CF-0001"
    assert api.get("/api/v1/powers", {"street": world.street_b.code}).json()["count"] == 1
    assert api.get("/api/v1/powers", {"department": world.lead_unit.code, "page_size": 1}).json()["next"]
    response = api.post(f"/api/v1/powers/{power['id']}/withdraw", {"reason": "收回"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert_error(api.post(f"/api/v1/powers/{power['id']}/withdraw", {"reason": "再次"}), 409)
    assert api.get("/api/v1/powers", {"in_force": True}).json()["count"] == 1
    assert api.get("/api/v1/powers", {"in_force": False}).json()["count"] == 1


def test_street_sees_its_own_and_cannot_manage(world, api_as, team_a):
    api_as("coordinator").post("/api/v1/powers", body(world))
    power = DelegatedPower.objects.get()
    assert api_as("dispatcher").get("/api/v1/powers").json()["count"] == 1
    assert api_as("dispatcher_b").get("/api/v1/powers").json()["count"] == 0
    assert_error(api_as("dispatcher_b").get(f"/api/v1/powers/{power.pk}"), 404)
    assert_error(api_as("street_leader").post("/api/v1/powers", body(world, code="X-1")), 403)
    assert_error(api_as("street_leader").post(f"/api/v1/powers/{power.pk}/withdraw", {"reason": "x"}), 403)
    assert_error(api_as("resident").get("/api/v1/powers"), 403)


def test_urge_note_and_answer_twice_409(world, api_as, team_a):
    summons = lead_of(blow(world))
    assert_error(
        api_as("dispatcher").post(
            "/api/v1/street-notes", {"summons": summons.pk, "kind": "urge", "text": "快"}
        ),
        403,
    )
    assert (
        "kind"
        in assert_error(
            api_as("street_leader").post(
                "/api/v1/street-notes", {"summons": summons.pk, "kind": "shout", "text": "快"}
            ),
            400,
        )["fields"]
    )
    response = api_as("street_leader").post(
        "/api/v1/street-notes", {"summons": summons.pk, "kind": "urge", "text": "请加快"}
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["unit"] == world.lead_unit.code and note["state"] == "open"
    listed = api_as("lead_handler").get("/api/v1/street-notes", {"kind": "urge", "state": "open"}).json()
    assert [n["id"] for n in listed["results"]] == [note["id"]]
    assert api_as("supporting_handler").get("/api/v1/street-notes").json()["count"] == 0
    response = api_as("lead_handler").post(f"/api/v1/street-notes/{note['id']}/answer", {"answer": "已安排"})
    assert response.status_code == 200 and response.json()["state"] == "answered"
    assert_error(
        api_as("lead_handler").post(f"/api/v1/street-notes/{note['id']}/answer", {"answer": "再"}), 409
    )


def test_recommendation_api(world, api_as):
    staff = StationedStaff.objects.create(
        street=world.street_a,
        department=world.lead_unit,
        name="王派驻",
        position="执法队员",
        since=dt.date(2021, 1, 1),
    )
    assert api_as("street_leader").get("/api/v1/stationed-staff").json()["count"] == 1
    assert api_as("dispatcher_b").get("/api/v1/stationed-staff").json()["count"] == 0
    assert (
        "reason"
        in assert_error(
            api_as("street_leader").post(
                "/api/v1/recommendations", {"staff": staff.pk, "kind": "removal", "reason": ""}
            ),
            400,
        )["fields"]
    )
    response = api_as("street_leader").post(
        "/api/v1/recommendations", {"staff": staff.pk, "kind": "removal", "reason": "推诿"}
    )
    assert response.status_code == 201, response.content
    rec = response.json()
    assert rec["state"] == "filed" and rec["department"] == world.lead_unit.code
    assert_error(
        api_as("street_leader").post(
            f"/api/v1/recommendations/{rec['id']}/answer", {"accepted": True, "answer": "x"}
        ),
        403,
    )
    response = api_as("lead_leader").post(
        f"/api/v1/recommendations/{rec['id']}/answer", {"accepted": True, "answer": "同意"}
    )
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert_error(
        api_as("lead_leader").post(
            f"/api/v1/recommendations/{rec['id']}/answer", {"accepted": False, "answer": "改"}
        ),
        409,
    )
    assert api_as("lead_leader").get("/api/v1/recommendations", {"state": "accepted"}).json()["count"] == 1


def test_openapi_lists_the_category_codes(world, api_as):
    schema = api_as("coordinator").get("/api/v1/openapi.json").json()
    text = str(schema["components"]["schemas"]["PowerIn"])
    for code in ("penalty", "inspection", "enforcement_measure", "licensing", "other"):
        assert code in text


def test_a_retried_create_with_the_same_key_answers_the_first_power(world, api_as):
    api = api_as("coordinator")
    first = api.post("/api/v1/powers", body(world), **{"Idempotency-Key": "p-1"})
    assert first.status_code == 201
    again = api.post("/api/v1/powers", body(world), **{"Idempotency-Key": "p-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert DelegatedPower.objects.count() == 1
    # a failed create leaves no key behind: the corrected retry creates
    bad = api.post("/api/v1/powers", body(world, code="P-2", legal_basis=""), **{"Idempotency-Key": "p-2"})
    assert bad.status_code == 400
    fixed = api.post("/api/v1/powers", body(world, code="P-2"), **{"Idempotency-Key": "p-2"})
    assert fixed.status_code == 201 and DelegatedPower.objects.count() == 2


def test_the_routing_proposal_through_the_api_is_the_streets_team_with_the_reason(
    world, api_as, power, team_a
):
    from tests.intake.flow import new_demand

    demand = new_demand(world, subject="小区里私搭乱建", body="楼顶加盖")
    r = api_as("dispatcher").get(f"/api/v1/demands/{demand.pk}/proposal")
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["matters"][0]["code"] == world.matter.code
    assert got["lead_unit"]["code"] == team_a.code and got["supporting_units"] == []
    assert got["self_handling"] == {"power_code": "CF-0001", "power_name": power.name, "since": "2019-07-01"}
    api_as("coordinator").post(f"/api/v1/powers/{power.pk}/withdraw", {"reason": "收回"})
    got = api_as("coordinator").get(f"/api/v1/demands/{demand.pk}/proposal").json()
    assert got["self_handling"] is None and got["lead_unit"]["code"] == world.lead_unit.code
    # a unit that sees the demand (it is summoned) does not triage it
    blow(world, demands=[demand])
    assert_error(api_as("lead_handler").get(f"/api/v1/demands/{demand.pk}/proposal"), 403)
