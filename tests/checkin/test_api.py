"""/api/v1/checkins/* and /api/v1/service-records: lists scoped and filtered, creates, errors naming the field."""

from __future__ import annotations

import pytest

from shaobao.api.actions import do_issue_token
from shaobao.checkin import actions
from shaobao.checkin.models import MemberCheckin, ServiceRecord
from shaobao.core.models import Event
from tests.api.conftest import ApiClient, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(ci):
    def make(persona: str) -> ApiClient:
        _, raw = do_issue_token(user=ci.users[persona], name=f"test-{persona}")
        return ApiClient(raw)

    return make


def test_check_in_a_member_and_list_members(api, ci):
    client = api("dispatcher")
    response = client.post(
        "/api/v1/checkins/members",
        {"community": ci.community_a1.code, "name": "周强", "phone": "13600001234", "kind": "courier"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["phone"], body["community"]["code"]) == (
        "courier",
        "136****1234",
        ci.community_a1.code,
    )
    listing = client.get(
        "/api/v1/checkins/members", {"community": ci.community_a1.code, "page_size": 2}
    ).json()
    assert listing["count"] == 3 and len(listing["results"]) == 2 and listing["next"]
    riders = client.get("/api/v1/checkins/members", {"kind": "new_employment"}).json()
    assert {r["kind"] for r in riders["results"]} == {"courier", "delivery_rider"}
    by_unit = client.get("/api/v1/checkins/members", {"unit": ci.lead_unit.code}).json()
    assert [r["id"] for r in by_unit["results"]] == [ci.member.pk]


def test_double_check_in_is_400_naming_the_field_and_writes_nothing(api, ci):
    client = api("dispatcher")  # (issuing its token is an audit event too)
    before = (MemberCheckin.objects.count(), Event.objects.count())
    response = client.post(
        "/api/v1/checkins/members",
        {"community": ci.community_a1.code, "name": "李红梅", "phone": "13900001111"},
    )
    error = assert_error(response, 400)
    assert error["fields"] == {"community": "already_checked_in"}
    assert (MemberCheckin.objects.count(), Event.objects.count()) == before


def test_an_unknown_kind_is_400_naming_kind(api, ci):
    response = api("dispatcher").post(
        "/api/v1/checkins/members",
        {"community": ci.community_a1.code, "name": "周强", "phone": "13600001234", "kind": "astronaut"},
    )
    assert "kind" in assert_error(response, 400)["fields"]
    assert MemberCheckin.objects.count() == 2


def test_an_unknown_kind_in_a_list_filter_is_400_naming_kind(api, ci):
    for url in ("/api/v1/checkins/members", "/api/v1/checkins"):
        assert "kind" in assert_error(api("dispatcher").get(url, {"kind": "astronaut"}), 400)["fields"]


def test_lists_filter_by_host_a_street_or_a_community(api, ci, world):
    coordinator = api("coordinator")
    created = coordinator.post(
        "/api/v1/checkins/members",
        {"community": world.community_b1.code, "name": "赵六", "phone": "13700007777"},
    )
    assert created.status_code == 201
    elsewhere = created.json()["id"]

    def members(url, host):
        rows = coordinator.get(url, {"host": host, "type": "member"}).json()["results"]
        return {r["id"] for r in rows}

    for url in ("/api/v1/checkins/members", "/api/v1/checkins"):
        assert members(url, world.street_a.code) == {ci.member.pk, ci.rider.pk}
        assert members(url, world.community_a1.code) == {ci.member.pk, ci.rider.pk}
        assert members(url, world.community_b1.code) == {elsewhere}
        assert members(url, "999999999999") == set()
    organisations = coordinator.get("/api/v1/checkins/organisations", {"host": world.street_b.code}).json()
    assert organisations["count"] == 0
    actions.do_record_service(actor=ci.users["member_user"], what="义务理发", hours="1")
    records = coordinator.get("/api/v1/service-records", {"host": world.street_a.code}).json()
    assert records["count"] == 1
    assert coordinator.get("/api/v1/service-records", {"host": world.street_b.code}).json()["count"] == 0


def test_a_period_that_ends_before_it_starts_is_400(api, ci):
    response = api("dispatcher").get("/api/v1/service-records", {"from": "2026-05-10", "to": "2026-05-01"})
    assert assert_error(response, 400)["fields"] == {"to": "before_from"}


def test_lists_are_scoped_like_the_pages(api, ci):
    assert api("dispatcher_b").get("/api/v1/checkins/members").json()["count"] == 0
    assert api("coordinator").get("/api/v1/checkins/members").json()["count"] == 2
    assert [r["id"] for r in api("member_user").get("/api/v1/checkins/members").json()["results"]] == [
        ci.member.pk
    ]
    assert_error(api("resident").get("/api/v1/checkins/members"), 403)
    assert_error(api("member_user").get("/api/v1/checkins/organisations"), 403)
    assert_error(ApiClient().get("/api/v1/checkins/members"), 401)


def test_organisations_list_and_create(api, ci):
    client = api("committee_handler")
    response = client.post(
        "/api/v1/checkins/organisations", {"community": ci.community_a1.code, "name": "平谷中学党支部"}
    )
    assert response.status_code == 201
    again = client.post(
        "/api/v1/checkins/organisations", {"community": ci.community_a1.code, "name": "平谷中学党支部"}
    )
    assert assert_error(again, 400)["fields"] == {"community": "already_checked_in"}
    names = [o["name"] for o in client.get("/api/v1/checkins/organisations").json()["results"]]
    assert sorted(names) == sorted([ci.lead_unit.name, "平谷中学党支部"])
    assert_error(
        api("dispatcher_b").post(
            "/api/v1/checkins/organisations", {"community": ci.community_a1.code, "name": "x"}
        ),
        403,
    )


def test_record_a_service_and_confirm_it(api, ci):
    member = api("member_user")
    response = member.post("/api/v1/service-records", {"what": "义务理发", "hours": "1.5"})
    assert response.status_code == 201, response.content
    record = response.json()
    assert (record["state"], record["member"], record["hours"]) == ("recorded", ci.member.pk, "1.5")
    assert_error(member.post(f"/api/v1/service-records/{record['id']}/confirm", {}), 403)
    confirmed = api("dispatcher").post(f"/api/v1/service-records/{record['id']}/confirm", {})
    assert confirmed.json()["state"] == "confirmed"
    listing = api("coordinator").get(
        "/api/v1/service-records", {"state": "confirmed", "community": ci.community_a1.code}
    )
    assert [r["id"] for r in listing.json()["results"]] == [record["id"]]


def test_bad_hours_are_400_naming_hours_and_nothing_written(api, ci):
    response = api("member_user").post("/api/v1/service-records", {"what": "义务理发", "hours": "30"})
    assert assert_error(response, 400)["fields"] == {"hours": "out_of_range"}
    assert not ServiceRecord.objects.exists()


def test_a_code_confirms_a_service_through_the_api(api, ci):
    need = actions.do_publish_need(
        actor=ci.users["dispatcher"], community_code=ci.community_a1.code, title="送药"
    )
    actions.do_take_need(actor=ci.users["rider_user"], need_id=need.pk)
    response = api("rider_user").post(
        "/api/v1/service-records",
        {"what": "送药上门", "hours": "0.5", "need": need.pk, "confirmation_code": need.confirmation_code},
    )
    assert response.json()["state"] == "confirmed"


def test_a_rider_reports_through_the_demands_api_in_the_new_employment_channel(api, ci):
    response = api("rider_user").post(
        "/api/v1/demands",
        {
            "channel": "new_employment",
            "kind": "report",
            "subject": "井盖缺失",
            "body": "路口井盖缺失",
            "lat": 40.145,
            "lng": 117.105,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "new_employment"
    assert_error(
        api("member_user").post(
            "/api/v1/demands", {"channel": "new_employment", "kind": "report", "subject": "x", "body": "y"}
        ),
        403,
    )


def test_the_codes_are_listed_in_the_openapi_schema(api, ci):
    schema = api("dispatcher").get("/api/v1/openapi.json").json()
    text = str(schema)
    for code in ("party_member", "courier", "delivery_rider", "ride_hailing_driver", "recorded", "confirmed"):
        assert code in text
    assert "/api/v1/checkins/members" in schema["paths"] and "/api/v1/service-records" in schema["paths"]


def test_checkins_lists_both_kinds_with_their_type_and_filters_by_type(api, ci):
    client = api("dispatcher")
    body = client.get("/api/v1/checkins").json()
    assert body["count"] == 3
    assert [(r["type"], r["id"]) for r in body["results"]] == [
        ("organisation", ci.org.pk),
        ("member", ci.rider.pk),
        ("member", ci.member.pk),
    ]
    member = body["results"][2]
    assert member["phone"] != "13900001111" and member["kind"] == "party_member"
    assert body["results"][0]["unit"] == ci.lead_unit.code and body["results"][0]["phone"] is None
    page2 = client.get("/api/v1/checkins", {"page_size": 2, "page": 2}).json()
    assert [(r["type"], r["id"]) for r in page2["results"]] == [("member", ci.member.pk)]
    only = client.get("/api/v1/checkins", {"type": "organisation"}).json()
    assert [r["type"] for r in only["results"]] == ["organisation"]
    members = client.get("/api/v1/checkins", {"type": "member", "kind": "new_employment"}).json()
    assert [r["id"] for r in members["results"]] == [ci.rider.pk]
    assert_error(client.get("/api/v1/checkins", {"type": "person"}), 400)
    # a member sees their own check-ins only, no organisation
    own = api("member_user").get("/api/v1/checkins").json()
    assert [(r["type"], r["id"]) for r in own["results"]] == [("member", ci.member.pk)]


def test_checkins_creates_either_kind_by_type(api, ci):
    client = api("dispatcher")
    org = client.post(
        "/api/v1/checkins",
        {"type": "organisation", "community": ci.community_a1.code, "name": "平谷中学党支部"},
    )
    assert org.status_code == 201 and org.json()["type"] == "organisation"
    member = client.post(
        "/api/v1/checkins",
        {
            "type": "member",
            "community": ci.community_a1.code,
            "name": "赵志强",
            "phone": "13900003333",
            "organisation": org.json()["id"],
        },
    )
    assert member.status_code == 201 and member.json()["type"] == "member"
    assert member.json()["organisation"] == org.json()["id"]
    again = client.post(
        "/api/v1/checkins",
        {"type": "member", "community": ci.community_a1.code, "name": "赵志强", "phone": "13900003333"},
    )
    assert assert_error(again, 400)["fields"] == {"community": "already_checked_in"}
    no_phone = client.post(
        "/api/v1/checkins", {"type": "member", "community": ci.community_a1.code, "name": "x"}
    )
    assert "phone" in assert_error(no_phone, 400)["fields"]
    assert (
        "type"
        in assert_error(client.post("/api/v1/checkins", {"community": ci.community_a1.code}), 400)["fields"]
    )
    assert MemberCheckin.objects.count() == 3


def test_checkins_is_in_the_openapi_schema_with_its_types(api, ci):
    schema = api("dispatcher").get("/api/v1/openapi.json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/checkins"])
    assert schema["components"]["schemas"]["CheckinType"]["enum"] == ["organisation", "member"]


def test_a_service_sent_again_with_its_key_is_counted_once(api, ci):
    """A member's phone on a bad line sends the record again: the same Idempotency-Key answers 200 with the
    first record, so the person-times count it once; another key is another service."""
    member = api("member_user")
    before = ServiceRecord.objects.count()
    body = {"what": "义务理发", "hours": "1.5"}
    first = member.post("/api/v1/service-records", body, **{"Idempotency-Key": "svc-1"})
    again = member.post("/api/v1/service-records", body, **{"Idempotency-Key": "svc-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert ServiceRecord.objects.count() == before + 1
    assert member.post("/api/v1/service-records", body, **{"Idempotency-Key": "svc-2"}).status_code == 201
    assert ServiceRecord.objects.count() == before + 2


def test_a_check_in_sent_again_with_its_key_answers_the_first(api, ci):
    client = api("dispatcher")
    before = MemberCheckin.objects.count()
    body = {"type": "member", "community": ci.community_a1.code, "name": "赵志强", "phone": "13900003333"}
    first = client.post("/api/v1/checkins", body, **{"Idempotency-Key": "ci-1"})
    again = client.post("/api/v1/checkins", body, **{"Idempotency-Key": "ci-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["type"] == "member"
    # Without the key the same member is refused as checked in already, as before.
    assert assert_error(client.post("/api/v1/checkins", body), 400)["fields"] == {
        "community": "already_checked_in"
    }
    assert MemberCheckin.objects.count() == before + 1
