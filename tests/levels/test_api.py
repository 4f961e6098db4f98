"""The API of the levels: calls list/create/assign/report-in/finish/verify, call-up, acting in, rankings —
same permissions as the pages, 400 naming the field with nothing written."""

from __future__ import annotations

from django.utils import timezone

from shaobao.calls.models import Call


def test_the_chain_through_the_api(city, api_for):
    street = api_for("dispatcher")
    r = street.post(
        "/api/v1/calls",
        {"caller": "110117001", "subject": "河道污染", "body": "上游排污", "type": "priority"},
    )
    assert r.status_code == 201, r.content
    call = r.json()
    assert (call["state"], call["level"], call["centre"]["code"]) == ("raised", "county", "110117000000")
    cid = call["id"]
    assert api_for("dispatcher_b").get(f"/api/v1/calls/{cid}").status_code == 404
    assert api_for("miyun_coordinator").get(f"/api/v1/calls/{cid}").status_code == 404
    assert street.post(f"/api/v1/calls/{cid}/assign", {"lead_unit": "CGZF"}).status_code == 403
    county = api_for("coordinator")
    bad = county.post(f"/api/v1/calls/{cid}/assign", {"lead_unit": "MY-CG"})
    assert bad.status_code == 400 and "lead_unit" in bad.json()["error"]["fields"]
    r = county.post(f"/api/v1/calls/{cid}/assign", {"lead_unit": "CGZF", "supporting_units": ["ZJW"]})
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    lead, support = (a["id"] for a in r.json()["assignments"])
    dept = api_for("lead_handler")
    assert dept.post(f"/api/v1/call-assignments/{lead}/report-in").json()["state"] == "handling"
    conflict = dept.post(f"/api/v1/call-assignments/{lead}/finish", {"note": "完成"})
    assert conflict.status_code == 409
    api_for("supporting_handler").post(
        f"/api/v1/call-assignments/{support}/dispute", {"reason": "非我委职责"}
    )
    r = county.post(f"/api/v1/call-assignments/{support}/arbitrate", {"decision": "uphold"})
    assert r.status_code == 200 and [a["state"] for a in r.json()["assignments"]] == [
        "reported_in",
        "withdrawn",
    ]
    assert (
        dept.post(f"/api/v1/call-assignments/{lead}/finish", {"note": "已封堵"}).json()["state"] == "fed_back"
    )
    missing = street.post(f"/api/v1/calls/{cid}/verify", {"passed": True})
    assert missing.status_code == 400 and "ratings.CGZF" in missing.json()["error"]["fields"]
    r = street.post(f"/api/v1/calls/{cid}/verify", {"passed": True, "ratings": {"CGZF": 5}})
    assert (
        r.status_code == 200
        and r.json()["state"] == "closed"
        and r.json()["ratings"] == [{"unit": "CGZF", "score": 5}]
    )


def test_create_answers_400_naming_the_field_and_writes_nothing(city, api_for):
    street = api_for("dispatcher")
    for body, field in (
        ({"caller": "110117001", "subject": "", "body": "x"}, "subject"),
        ({"caller": "110117001", "subject": "x", "body": "y", "type": "urgent"}, "type"),
        ({"caller": "999999001", "subject": "x", "body": "y"}, "caller"),
        ({"subject": "x", "body": "y"}, "caller"),
    ):
        r = street.post("/api/v1/calls", body)
        assert r.status_code == 400, (body, r.content)
        assert field in r.json()["error"]["fields"], r.json()
    assert (
        street.post("/api/v1/calls", {"caller": "110117002", "subject": "x", "body": "y"}).status_code == 403
    )
    assert not Call.objects.exists()


def test_create_is_idempotent_with_a_key(city, api_for):
    street = api_for("dispatcher")
    body = {"caller": "110117001", "subject": "同一呼叫", "body": "重试"}
    first = street.post("/api/v1/calls", body, **{"Idempotency-Key": "k-1"})
    again = street.post("/api/v1/calls", body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Call.objects.count() == 1


def test_lists_are_scoped_by_level_and_by_the_area_acted_in(city, api_for):
    api_for("dispatcher").post("/api/v1/calls", {"caller": "110117001", "subject": "平谷呼叫", "body": "x"})
    api_for("miyun_dispatcher").post(
        "/api/v1/calls", {"caller": "110118001", "subject": "密云呼叫", "body": "x"}
    )

    def subjects(persona, **headers):
        return {c["subject"] for c in api_for(persona).get("/api/v1/calls", **headers).json()["results"]}

    assert subjects("coordinator") == {"平谷呼叫"}
    assert subjects("miyun_coordinator") == {"密云呼叫"}
    assert subjects("dispatcher_b") == set()
    assert subjects("city_coordinator") == {"平谷呼叫", "密云呼叫"}  # the city sees the levels below
    assert subjects("city_coordinator", **{"X-Acting-In": "110118"}) == {"密云呼叫"}
    filtered = api_for("city_coordinator").get("/api/v1/calls", {"state": "closed"}).json()
    assert filtered["count"] == 0
    bad = api_for("coordinator").get("/api/v1/calls", {"state": "nope"})
    assert bad.status_code == 400 and "state" in bad.json()["error"]["fields"]


def test_the_county_calls_the_city_through_the_api(city, api_for):
    cid = (
        api_for("dispatcher")
        .post("/api/v1/calls", {"caller": "110117001", "subject": "跨区", "body": "x"})
        .json()["id"]
    )
    r = api_for("coordinator").post(f"/api/v1/calls/{cid}/call-up", {"note": "需市级协调"})
    assert r.status_code == 200 and r.json()["state"] == "called_up"
    child = r.json()["children"][0]
    city_api = api_for("city_coordinator")  # acts in the city by default
    r = city_api.post(f"/api/v1/calls/{child}/assign", {"lead_unit": "CITY-ZJW"})
    assert r.status_code == 200, r.content
    # Acting in Pinggu the same person is no city centre.
    assert (
        city_api.post(
            f"/api/v1/calls/{child}/call-up", {"note": "x"}, **{"X-Acting-In": "110117"}
        ).status_code
        == 403
    )


def test_rankings_over_the_api(city, api_for):
    month = f"{timezone.localdate():%Y-%m}"
    r = api_for("only_city").get("/api/v1/evaluation/city", {"month": month})
    assert r.status_code == 200, r.content
    assert {d["code"] for d in r.json()["districts"]} == {"110105000000", "110117000000", "110118000000"}
    assert api_for("coordinator").get("/api/v1/evaluation/city").status_code == 403
    r = api_for("coordinator").get("/api/v1/evaluation/call-departments", {"month": month})
    assert r.status_code == 200 and {d["code"] for d in r.json()["departments"]} == {"CGZF", "ZJW"}
    assert api_for("only_city").get("/api/v1/evaluation/city", {"month": "2026-99"}).status_code == 400


def test_the_schema_lists_the_stable_codes(city, api_for):
    schema = api_for("dispatcher").get("/api/v1/openapi.json").json()
    text = str(schema)
    for code in ("called_up", "fed_back", "routine", "emergency", "uphold"):
        assert code in text
    assert "/api/v1/calls" in schema["paths"] and "/api/v1/acting" in schema["paths"]


def test_extension_requests_and_supervision_over_the_api(city, api_for):
    from shaobao.calls.supervision import sweep

    cid = (
        api_for("dispatcher")
        .post("/api/v1/calls", {"caller": "110117001", "subject": "河道污染", "body": "上游排污"})
        .json()["id"]
    )
    lead = api_for("coordinator").post(f"/api/v1/calls/{cid}/assign", {"lead_unit": "CGZF"}).json()
    aid = lead["assignments"][0]["id"]
    dept = api_for("lead_handler")
    dept.post(f"/api/v1/call-assignments/{aid}/report-in")
    bad = dept.post(f"/api/v1/call-assignments/{aid}/extension", {"days": 0, "reason": ""})
    assert bad.status_code == 400 and {"days", "reason"} <= set(bad.json()["error"]["fields"])
    assert (
        api_for("supporting_handler")
        .post(f"/api/v1/call-assignments/{aid}/extension", {"days": 5, "reason": "x"})
        .status_code
        == 404
    )
    body = {"days": 5, "reason": "需协调上游"}
    first = dept.post(f"/api/v1/call-assignments/{aid}/extension", body, **{"Idempotency-Key": "ext-1"})
    again = dept.post(f"/api/v1/call-assignments/{aid}/extension", body, **{"Idempotency-Key": "ext-1"})
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json()["id"] == again.json()["id"] and first.json()["state"] == "pending"
    other = dept.post(f"/api/v1/call-assignments/{aid}/extension", body)
    assert other.status_code == 409 and other.json()["error"]["code"] == "pending_extension"
    eid = first.json()["id"]
    decide = f"/api/v1/call-extensions/{eid}/decide"
    assert api_for("miyun_coordinator").post(decide, {"grant": True}).status_code == 404
    assert api_for("dispatcher").post(decide, {"grant": True}).status_code == 403
    assert dept.post(decide, {"grant": True}).status_code == 403
    r = api_for("coordinator").post(decide, {"grant": True, "note": "同意"})
    assert r.status_code == 200 and r.json()["state"] == "granted"
    assert api_for("coordinator").post(decide, {"grant": False}).status_code == 409
    a = api_for("coordinator").get(f"/api/v1/calls/{cid}").json()["assignments"][0]
    assert a["extension_days"] == 5 and a["finish_due"] == r.json()["proposed_due"]
    assert [e["state"] for e in a["extensions"]] == ["granted"] and a["supervised"] is False
    # Past the new deadline the sweep marks it: supervised, overdue, and counted in the ranking.
    from shaobao.calls.models import CallAssignment

    due = CallAssignment.objects.get(pk=aid).finish_due
    assert sweep(due + timezone.timedelta(minutes=1)) == {"finish_overdue": 1}
    a = api_for("coordinator").get(f"/api/v1/calls/{cid}").json()["assignments"][0]
    assert a["supervised"] is True
