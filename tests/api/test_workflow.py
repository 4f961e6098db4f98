"""The whole chain driven through the API: receive → whistle → report in → finish → verify → callback."""

from __future__ import annotations

import pytest

from shaobao.core.models import Event
from shaobao.intake.models import Demand
from tests.api.conftest import ApiClient, assert_error

PHONE = "13812345678"
NAME = "张三丰"


def receive(client: ApiClient, **extra) -> dict:
    body = {
        "channel": "hotline_12345",
        "kind": "complaint",
        "subject": "小区私搭乱建",
        "body": "楼下有人私搭乱建，占用消防通道。",
        "reporter_name": NAME,
        "reporter_phone": PHONE,
        "address": "承平里3号楼",
        "urgency": "normal",
        "street": "110117001",
        **extra,
    }
    response = client.post("/api/v1/demands", body)
    assert response.status_code == 201, response.content
    return response.json()


def blow(client: ApiClient, demand_id: int, **extra) -> dict:
    response = client.post(
        "/api/v1/whistles", {"demands": [demand_id], "type": "routine", "matter": "CG-001", **extra}
    )
    assert response.status_code == 201, response.content
    return response.json()


def summons_of(whistle: dict, unit: str) -> dict:
    return next(s for s in whistle["summonses"] if s["unit"]["code"] == unit and s["state"] != "withdrawn")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_whole_chain_through_the_api(world, api_as, anon):
    dispatcher, lead, supporting = api_as("dispatcher"), api_as("lead_handler"), api_as("supporting_handler")
    demand = receive(dispatcher)
    assert demand["state"] == "received"
    assert demand["street"]["code"] == "110117001000"
    assert demand["tracking_code"]

    whistle = blow(dispatcher, demand["id"], note="请城管牵头")
    assert whistle["state"] == "blown"
    assert {(s["unit"]["code"], s["role"]) for s in whistle["summonses"]} == {
        ("CGZF", "lead"),
        ("ZJW", "supporting"),
    }
    lead_summons, supporting_summons = summons_of(whistle, "CGZF"), summons_of(whistle, "ZJW")

    reported = ok(lead.post(f"/api/v1/summons/{lead_summons['id']}/report-in"))
    assert reported["state"] == "reported_in"
    assert reported["whistle_state"] == "handling"
    ok(supporting.post(f"/api/v1/summons/{supporting_summons['id']}/report-in"))
    ok(supporting.post(f"/api/v1/summons/{supporting_summons['id']}/finish", {"note": "已配合核查产权"}))
    progress = ok(lead.post(f"/api/v1/summons/{lead_summons['id']}/progress", {"note": "已现场勘查"}))
    assert [p["note"] for p in progress["progress_notes"]] == ["已现场勘查"]
    finished = ok(lead.post(f"/api/v1/summons/{lead_summons['id']}/finish", {"note": "违建已拆除"}))
    assert finished["whistle_state"] == "fed_back"

    closed = ok(
        dispatcher.post(f"/api/v1/whistles/{whistle['id']}/verify", {"passed": True, "note": "现场核查通过"})
    )
    assert closed["state"] == "closed"
    assert "verify_pass" in [e["action"] for e in closed["events"]]
    assert ok(dispatcher.get(f"/api/v1/demands/{demand['id']}"))["state"] == "closed"

    called = ok(
        dispatcher.post(
            f"/api/v1/demands/{demand['id']}/callback", {"solved": True, "satisfaction": "satisfied"}
        )
    )
    assert called["state"] == "called_back"
    assert called["satisfaction"] == "satisfied"

    track = anon.get(f"/api/v1/track/{demand['tracking_code'].lower()}")
    assert track.status_code == 200
    text = track.content.decode()
    assert PHONE not in text and NAME not in text
    assert track.json()["state"] == "called_back"
    assert any(step["reply"] == "违建已拆除" for step in track.json()["steps"])


def test_whistle_detail_has_summonses_and_events(world, api_as):
    dispatcher = api_as("dispatcher")
    whistle = blow(dispatcher, receive(dispatcher)["id"])
    detail = ok(api_as("lead_handler").get(f"/api/v1/whistles/{whistle['id']}"))
    assert len(detail["summonses"]) == 2
    assert detail["events"], "the whistle's audit events are listed"
    assert all(s["events"] for s in detail["summonses"])
    assert detail["demands"][0]["id"]


def test_dispute_upheld_with_reassignment(world, api_as):
    dispatcher = api_as("dispatcher")
    whistle = blow(dispatcher, receive(dispatcher)["id"])
    disputed = summons_of(whistle, "ZJW")
    body = ok(
        api_as("supporting_handler").post(
            f"/api/v1/summons/{disputed['id']}/dispute", {"reason": "不属于本部门职责"}
        )
    )
    assert body["state"] == "disputed"
    assert body["dispute_reason"] == "不属于本部门职责"
    upheld = ok(
        api_as("coordinator").post(
            f"/api/v1/summons/{disputed['id']}/arbitrate", {"decision": "uphold", "reassign_to": "BH-CG"}
        )
    )
    assert upheld["summons"]["state"] == "withdrawn"
    assert upheld["reassigned"]["unit"]["code"] == "BH-CG"
    assert upheld["reassigned"]["role"] == "supporting"
    detail = ok(dispatcher.get(f"/api/v1/whistles/{whistle['id']}"))
    states = {s["unit"]["code"]: s["state"] for s in detail["summonses"]}
    assert states == {"CGZF": "summoned", "ZJW": "withdrawn", "BH-CG": "summoned"}


def test_dispute_rejected_means_the_unit_must_act(world, api_as):
    dispatcher = api_as("dispatcher")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "ZJW")
    ok(api_as("supporting_handler").post(f"/api/v1/summons/{summons['id']}/dispute", {"reason": "非本部门"}))
    rejected = ok(
        api_as("coordinator").post(f"/api/v1/summons/{summons['id']}/arbitrate", {"decision": "reject"})
    )
    assert rejected["summons"]["state"] == "reported_in"
    assert rejected["reassigned"] is None


def test_only_the_coordinator_arbitrates(world, api_as):
    dispatcher = api_as("dispatcher")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "ZJW")
    ok(api_as("supporting_handler").post(f"/api/v1/summons/{summons['id']}/dispute", {"reason": "非本部门"}))
    assert_error(
        api_as("dispatcher").post(f"/api/v1/summons/{summons['id']}/arbitrate", {"decision": "uphold"}),
        403,
        "forbidden",
    )


def test_illegal_transition_is_409_and_changes_nothing(world, api_as):
    dispatcher = api_as("dispatcher")
    whistle = blow(dispatcher, receive(dispatcher)["id"])
    lead_summons = summons_of(whistle, "CGZF")
    lead = api_as("lead_handler")
    events_before = Event.objects.count()

    error = assert_error(
        lead.post(f"/api/v1/summons/{lead_summons['id']}/finish", {"note": "还没报到就办结"}),
        409,
    )
    assert error["code"] == "illegal_transition"
    assert_error(dispatcher.post(f"/api/v1/whistles/{whistle['id']}/verify", {"passed": True}), 409)

    assert Event.objects.count() == events_before
    after = ok(dispatcher.get(f"/api/v1/whistles/{whistle['id']}"))
    assert after["state"] == "blown"
    assert summons_of(after, "CGZF")["state"] == "summoned"


def test_callback_before_closing_is_409(world, api_as):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    response = dispatcher.post(
        f"/api/v1/demands/{demand['id']}/callback", {"solved": True, "satisfaction": "satisfied"}
    )
    assert_error(response, 409)
    assert Demand.objects.get(pk=demand["id"]).state == "received"


def test_idempotency_key_retry_returns_the_same_demand(world, api_as):
    dispatcher = api_as("dispatcher")
    body = {
        "channel": "hotline_12345",
        "kind": "help",
        "subject": "路灯不亮",
        "body": "小区路灯坏了",
        "street": "110117001",
    }
    first = dispatcher.post("/api/v1/demands", body, **{"Idempotency-Key": "gw-0001"})
    retry = dispatcher.post("/api/v1/demands", body, **{"Idempotency-Key": "gw-0001"})
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["tracking_code"] == first.json()["tracking_code"]
    assert first["Location"] == f"/api/v1/demands/{first.json()['id']}"
    assert Demand.objects.count() == 1
    other = dispatcher.post("/api/v1/demands", body, **{"Idempotency-Key": "gw-0002"})
    assert other.status_code == 201
    assert Demand.objects.count() == 2


def test_same_key_from_another_caller_is_a_new_demand(world, api_as):
    body = {
        "channel": "grid_patrol",
        "kind": "report",
        "subject": "占道经营",
        "body": "路口占道",
        "street": "110117001",
    }
    a = api_as("dispatcher").post("/api/v1/demands", body, **{"Idempotency-Key": "k1"})
    b = api_as("grid_worker").post("/api/v1/demands", body, **{"Idempotency-Key": "k1"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


def test_invalid_demand_is_400_naming_each_field(world, api_as):
    response = api_as("dispatcher").post(
        "/api/v1/demands", {"channel": "pigeon", "kind": "complaint", "body": "x"}
    )
    error = assert_error(response, 400, "invalid")
    assert {"channel", "subject"} <= set(error["fields"])
    assert not Demand.objects.exists()


def test_unknown_street_is_400_naming_the_street_field(world, api_as):
    response = api_as("dispatcher").post(
        "/api/v1/demands", {"channel": "hotline_12345", "subject": "s", "body": "b", "street": "999999999"}
    )
    error = assert_error(response, 400)
    assert "street" in error["fields"]


def test_malformed_json_is_400(world, api_as):
    client = api_as("dispatcher")
    response = client.client.post(
        "/api/v1/demands", "{not json", content_type="application/json", headers=client.headers
    )
    assert_error(response, 400)


def test_reporter_is_masked_for_units(world, api_as):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    blow(dispatcher, demand["id"])
    seen = ok(api_as("lead_handler").get(f"/api/v1/demands/{demand['id']}"))
    assert seen["reporter"]["masked"] is True
    assert seen["reporter"]["may_reveal"] is False
    assert PHONE not in str(seen) and NAME not in str(seen)


def test_demand_outside_the_scope_is_404(world, api_as):
    demand = receive(api_as("dispatcher"))
    assert_error(api_as("outsider").get(f"/api/v1/demands/{demand['id']}"), 404)
    assert_error(api_as("dispatcher_b").get(f"/api/v1/demands/{demand['id']}"), 404)


def test_demand_list_filters(world, api_as):
    dispatcher = api_as("dispatcher")
    receive(dispatcher, subject="路灯不亮")
    receive(dispatcher, subject="噪音扰民")
    body = ok(dispatcher.get("/api/v1/demands", {"q": "噪音"}))
    assert [d["subject"] for d in body["results"]] == ["噪音扰民"]
    assert ok(dispatcher.get("/api/v1/demands", {"state": "received"}))["count"] == 2
    assert ok(dispatcher.get("/api/v1/demands", {"state": "closed"}))["count"] == 0
    assert ok(dispatcher.get("/api/v1/demands", {"street": "110117001"}))["count"] == 2
    assert ok(api_as("dispatcher_b").get("/api/v1/demands"))["count"] == 0


def test_triage_self_handle_needs_a_unit(world, api_as):
    demand = receive(api_as("dispatcher"))
    error = assert_error(
        api_as("dispatcher").post(f"/api/v1/demands/{demand['id']}/triage", {"action": "self_handle"}), 400
    )
    assert set(error["fields"]) == {"unit"}


def test_triage_self_handle_then_finish_verify(world, api_as):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    handled = ok(
        dispatcher.post(f"/api/v1/demands/{demand['id']}/triage", {"action": "self_handle", "unit": "BH-CG"})
    )
    assert handled["state"] == "self_handling"
    assert handled["assigned_unit"]["code"] == "BH-CG"


def test_triage_transfer_to_another_street(world, api_as):
    demand = receive(api_as("dispatcher"))
    moved = ok(
        api_as("dispatcher").post(
            f"/api/v1/demands/{demand['id']}/triage", {"action": "transfer", "street": "110117002"}
        )
    )
    assert moved["street"]["code"] == "110117002000"
    assert ok(api_as("dispatcher_b").get(f"/api/v1/demands/{demand['id']}"))["state"] == "received"


def test_triage_merge(world, api_as):
    dispatcher = api_as("dispatcher")
    first, second = receive(dispatcher), receive(dispatcher)
    merged = ok(
        dispatcher.post(f"/api/v1/demands/{second['id']}/triage", {"action": "merge", "into": first["id"]})
    )
    assert merged["state"] == "merged"
    assert merged["merged_into"] == first["id"]


def test_extension_requested_and_granted(world, api_as):
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    extension = ok(
        lead.post(f"/api/v1/summons/{summons['id']}/extension", {"days": 3, "reason": "需协调产权单位"}), 201
    )
    assert extension["state"] == "pending"
    decided = ok(api_as("coordinator").post(f"/api/v1/extensions/{extension['id']}/decide", {"grant": True}))
    assert decided["state"] == "granted"
    assert ok(lead.get(f"/api/v1/summons/{summons['id']}"))["extension_days"] == 3


def test_inbox_lists_what_the_unit_must_act_on(world, api_as):
    dispatcher = api_as("dispatcher")
    whistle = blow(dispatcher, receive(dispatcher)["id"])
    sections = ok(api_as("lead_handler").get("/api/v1/inbox"))
    items = [item for section in sections for item in section["items"]]
    assert any(i["type"] == "summons" and i["id"] == summons_of(whistle, "CGZF")["id"] for i in items)
    assert all(section["count"] >= len(section["items"]) for section in sections)


def test_track_unknown_code_is_404(db, anon):
    assert_error(anon.get("/api/v1/track/SB000000XXXXX"), 404)


@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_units_and_residents_cannot_blow_whistles(world, api_as, persona):
    demand = receive(api_as("dispatcher"))
    response = api_as(persona).post(
        "/api/v1/whistles", {"demands": [demand["id"]], "type": "routine", "matter": "CG-001"}
    )
    assert response.status_code in {403, 404}
    assert "error" in response.json()


def test_self_handled_demand_track_page_hides_names_and_phones_in_replies(world, api_as, anon):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    ok(dispatcher.post(f"/api/v1/demands/{demand['id']}/triage", {"action": "self_handle", "unit": "BH-CG"}))
    reply = f"已电话联系{NAME}（{PHONE}），违建已拆除"
    handled = ok(api_as("section_handler").post(f"/api/v1/demands/{demand['id']}/finish", {"note": reply}))
    assert handled["state"] == "handled"
    closed = ok(dispatcher.post(f"/api/v1/demands/{demand['id']}/verify", {"passed": True}))
    assert closed["state"] == "closed"

    response = anon.get(f"/api/v1/track/{demand['tracking_code']}")
    text = response.content.decode()
    assert response.status_code == 200
    assert PHONE not in text and NAME not in text
    replies = [s["reply"] for s in response.json()["steps"] if s["reply"]]
    assert replies and all("违建已拆除" in r for r in replies)


def test_dispatcher_may_reveal_the_reporter_and_it_is_logged(world, api_as):
    from shaobao.core.models import PersonalDataAccess

    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    masked = ok(dispatcher.get(f"/api/v1/demands/{demand['id']}"))
    assert masked["reporter"] == {"name": "张**", "phone": "138****5678", "masked": True, "may_reveal": True}
    revealed = ok(dispatcher.get(f"/api/v1/demands/{demand['id']}", {"reveal": "true"}))
    assert revealed["reporter"]["name"] == NAME
    assert revealed["reporter"]["phone"] == PHONE
    assert revealed["reporter"]["masked"] is False
    assert (
        PersonalDataAccess.objects.filter(subject_id=demand["id"], user=world.users["dispatcher"]).count()
        == 1
    )


def test_unit_may_not_reveal_the_reporter(world, api_as):
    from shaobao.core.models import PersonalDataAccess

    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    blow(dispatcher, demand["id"])
    assert_error(api_as("lead_handler").get(f"/api/v1/demands/{demand['id']}", {"reveal": "true"}), 403)
    assert not PersonalDataAccess.objects.exists()


def test_overlong_idempotency_key_is_400_naming_the_header(world, api_as):
    body = {"channel": "hotline_12345", "subject": "s", "body": "b", "street": "110117001"}
    response = api_as("dispatcher").post("/api/v1/demands", body, **{"Idempotency-Key": "k" * 101})
    error = assert_error(response, 400)
    assert set(error["fields"]) == {"Idempotency-Key"}
    assert not Demand.objects.exists()


def test_progress_with_a_photo(world, api_as, settings, tmp_path):
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    response = lead.client.post(
        f"/api/v1/summons/{summons['id']}/progress/photo",
        {"note": "现场照片", "photo": SimpleUploadedFile("site.png", png, content_type="image/png")},
        headers=lead.headers,
    )
    note = ok(response)["progress_notes"][0]
    assert note["note"] == "现场照片"
    assert note["photo"].endswith(".png") and "site" not in note["photo"]

    not_image = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = lead.client.post(
        f"/api/v1/summons/{summons['id']}/progress/photo",
        {"note": "x", "photo": not_image},
        headers=lead.headers,
    )
    assert "photo" in assert_error(response, 400)["fields"]


def test_public_tracking_is_rate_limited_per_client(db, anon, settings):
    from django.core.cache import cache

    settings.API_TRACK_RATE = "3/m"
    cache.clear()
    try:
        statuses = [anon.get("/api/v1/track/SB000000AAAAA").status_code for _ in range(3)]
        assert statuses == [404, 404, 404]
        assert_error(anon.get("/api/v1/track/SB000000AAAAA"), 429, "throttled")
    finally:
        cache.clear()


def test_invalid_whistle_names_each_bad_input(world, api_as):
    response = api_as("dispatcher").post(
        "/api/v1/whistles", {"demands": [], "type": "loud", "matter": "CG-001", "supporting_units": [1]}
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"demands", "type", "supporting_units.0"}
    assert "routine" in error["fields"]["type"]


def _fed_back(world, api_as) -> tuple[dict, dict]:
    """A demand whistled to the lead unit only, reported in and finished: awaiting verification."""
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    demand = receive(dispatcher)
    whistle = blow(dispatcher, demand["id"], supporting_units=[])
    summons = summons_of(whistle, "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    ok(lead.post(f"/api/v1/summons/{summons['id']}/finish", {"note": "已处理"}))
    return demand, whistle


def test_failed_verification_sends_the_whistle_back_for_rework(world, api_as):
    demand, whistle = _fed_back(world, api_as)
    back = ok(
        api_as("dispatcher").post(
            f"/api/v1/whistles/{whistle['id']}/verify", {"passed": False, "note": "未拆除"}
        )
    )
    assert back["state"] == "handling"
    assert back["rework_count"] == 1
    assert summons_of(back, "CGZF")["state"] == "reported_in"


def test_unsatisfied_callback_reopens_the_demand(world, api_as):
    demand, whistle = _fed_back(world, api_as)
    dispatcher = api_as("dispatcher")
    ok(dispatcher.post(f"/api/v1/whistles/{whistle['id']}/verify", {"passed": True}))
    reopened = ok(
        dispatcher.post(
            f"/api/v1/demands/{demand['id']}/callback", {"solved": False, "satisfaction": "unsatisfied"}
        )
    )
    assert reopened["state"] == "reopened"
    assert reopened["rework_count"] == 1


def test_refused_extension_keeps_the_deadline(world, api_as):
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    extension = ok(
        lead.post(f"/api/v1/summons/{summons['id']}/extension", {"days": 5, "reason": "材料不全"}), 201
    )
    refused = ok(api_as("coordinator").post(f"/api/v1/extensions/{extension['id']}/decide", {"grant": False}))
    assert refused["state"] == "refused"
    after = ok(lead.get(f"/api/v1/summons/{summons['id']}"))
    assert after["extension_days"] == 0
    assert after["finish_due"] == summons["finish_due"]
    assert_error(
        api_as("coordinator").post(f"/api/v1/extensions/{extension['id']}/decide", {"grant": True}), 409
    )


def test_labels_follow_accept_language(world, api_as):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    chinese = dispatcher.get(f"/api/v1/demands/{demand['id']}", **{"Accept-Language": "zh-hans"})
    english = dispatcher.get(f"/api/v1/demands/{demand['id']}", **{"Accept-Language": "en"})
    assert ok(chinese)["state_label"] == "已受理，待分拨"
    assert ok(english)["state_label"] == "received, awaiting triage"
