"""Open311 requests: created through intake with an API token, read publicly without personal data."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shaobao.intake.models import Channel, Demand
from shaobao.intake.selectors import track
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, demand_in, fed_back
from tests.open311.conftest import assert_open311_error

pytestmark = pytest.mark.django_db

IN_GRID_A1 = {"lat": "40.145", "long": "117.105"}


def post(data: dict, **headers):
    return Client().post("/open311/v2/requests.json", data, headers=headers)


def form(key: str, **kw) -> dict:
    values = {
        "api_key": key,
        "service_code": "CG-001",
        "description": "3号楼楼顶违建，联系13812345678",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhang@example.com",
        **IN_GRID_A1,
    }
    values.update(kw)
    return values


def test_the_notice_links_the_tracking_page_in_full(world, api_key, settings):
    settings.PUBLIC_BASE_URL = "https://shaobao.example/"
    [answer] = post(form(api_key("resident"))).json()
    code = answer["service_request_id"]
    assert f"https://shaobao.example/demands/track/{code}/" in answer["service_notice"]


def test_create_with_api_key_receives_a_placed_demand_with_the_matter(world, api_key):
    response = post(form(api_key("resident")))
    assert response.status_code == 201, response.content
    [answer] = response.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
    demand = Demand.objects.get(tracking_code=answer["service_request_id"])
    assert demand.created_by == world.users["resident"]
    assert demand.channel == Channel.RESIDENT_WEB
    assert demand.matter == world.matter
    assert (demand.street, demand.community, demand.grid) == (
        world.street_a,
        world.community_a1,
        world.grid_a1,
    )
    assert demand.placement_source == "coordinates"
    assert demand.reporter_name == "张三" and demand.reporter_phone == "13812345678"
    assert demand.subject == "违法建设" and "3号楼楼顶违建" in demand.body


def test_address_string_is_enough_as_location(world, api_key):
    response = post(form(api_key("dispatcher"), lat="", long="", address_string="承平里3号楼"))
    assert response.status_code == 201, response.content
    assert Demand.objects.get().address == "承平里3号楼"


def test_idempotency_key_header_replays_the_first_request(world, api_key):
    key = api_key("dispatcher")
    first = post(form(key), **{"Idempotency-Key": "app-0001"})
    again = post(form(key, description="another"), **{"Idempotency-Key": "app-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Demand.objects.count() == 1


@pytest.mark.parametrize("key", [None, "", "sb_not-a-token"])
def test_missing_or_bad_api_key_is_403(world, key):
    data = form(key or "")
    if key is None:
        del data["api_key"]
    assert_open311_error(post(data), 403)
    assert not Demand.objects.exists()


def test_unknown_service_is_refused(world, api_key):
    assert_open311_error(post(form(api_key("resident"), service_code="NOPE")), 404)
    assert_open311_error(post(form(api_key("resident"), service_code="")), 400)
    assert not Demand.objects.exists()


def test_missing_location_and_bad_input_are_400(world, api_key):
    key = api_key("resident")
    assert "location" in assert_open311_error(post(form(key, lat="", long="")), 400)
    assert "lat" in assert_open311_error(post(form(key, lat="north")), 400)
    assert "phone" in assert_open311_error(post(form(key, phone="call me")), 400)
    assert not Demand.objects.exists()


def test_public_read_shows_no_personal_data(world, api_key):
    code = post(form(api_key("resident"), address_string="承平里3号楼302室")).json()[0]["service_request_id"]
    response = Client().get(f"/open311/v2/requests/{code.lower()}.json")
    assert response.status_code == 200
    [shown] = response.json()
    assert shown["service_request_id"] == code
    assert shown["status"] == "open"
    assert shown["service_code"] == "CG-001" and shown["service_name"] == "违法建设"
    assert shown["description"] == "违法建设"  # the subject, as on the tracking page; not the body
    assert (
        shown["address"] == "承平里社区，滨河街道，平谷区"
    )  # community, street, district: not the typed address
    assert shown["address_id"] == world.community_a1.code
    assert (shown["lat"], shown["long"]) != (40.145, 117.105)  # coarsened (see test_location.py)
    text = json.dumps(response.json(), ensure_ascii=False)
    for secret in ("张", "13812345678", "138****5678", "zhang@example.com", "302", "3号楼"):
        assert secret not in text
    listed = Client().get("/open311/v2/requests.json").json()
    assert listed == response.json()


def test_unknown_request_is_404(world):
    assert_open311_error(Client().get("/open311/v2/requests/SB000000XXXXX.json"), 404)


def test_status_goes_from_open_to_closed_with_the_units_reply(world):
    demand = demand_in(world, "received")
    whistle = fed_back(world, blow(world, [demand]))
    url = f"/open311/v2/requests/{demand.tracking_code}.json"
    [shown] = Client().get(url).json()
    assert shown["status"] == "open"
    assert shown["agency_responsible"] == "区城管执法局"
    assert shown["status_notes"] == "违建已拆除"
    wf.do_verify(
        actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True, note="已核查，张三表示认可"
    )
    [shown] = Client().get(url).json()
    assert shown["status"] == "closed"
    replies = [s["reply"] for s in track(demand.tracking_code)["steps"] if s["reply"]]
    assert shown["status_notes"] == replies[-1]  # the latest reply the tracking page shows
    assert "张三" not in shown["status_notes"]
    assert shown["updated_datetime"] >= shown["requested_datetime"]


def test_list_filters(world):
    received = demand_in(world, "received")
    closed = demand_in(world, "closed")
    c = Client()

    def codes(**params):
        response = c.get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert codes() == {received.tracking_code, closed.tracking_code}
    assert codes(status="open") == {received.tracking_code}
    assert codes(status="closed") == {closed.tracking_code}
    assert codes(status="open,closed", jurisdiction_id="110117") == codes()
    assert codes(service_request_id=f"{closed.tracking_code},XX") == {closed.tracking_code}
    assert codes(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == set()
    assert codes(service_code="CG-001") == set()  # these demands were received without a matter
    assert codes(service_code="unclassified") == codes()
    assert_open311_error(c.get("/open311/v2/requests.json", {"status": "pending"}), 400)
    assert_open311_error(c.get("/open311/v2/requests.json", {"start_date": "yesterday"}), 400)


def test_service_code_is_never_null(world, api_key):
    """A request placed by address only keeps the service the client chose; a demand from another
    channel not yet classified reads as the documented unclassified service, which services lists."""
    by_address = post(form(api_key("resident"), lat="", long="", address_string="某处")).json()[0]
    demand = Demand.objects.get(tracking_code=by_address["service_request_id"])
    assert demand.street is None and demand.matter == world.matter
    untriaged = demand_in(world, "received")
    shown = {r["service_request_id"]: r for r in Client().get("/open311/v2/requests.json").json()}
    assert shown[demand.tracking_code]["service_code"] == "CG-001"
    assert shown[untriaged.tracking_code]["service_code"] == "unclassified"
    assert shown[untriaged.tracking_code]["service_name"] == "待分类"
    services = [s["service_code"] for s in Client().get("/open311/v2/services.json").json()]
    assert "unclassified" in services


def test_unclassified_service_can_be_reported(world, api_key):
    response = post(form(api_key("resident"), service_code="unclassified"))
    assert response.status_code == 201, response.content
    demand = Demand.objects.get()
    assert demand.matter is None and demand.subject == "待分类"


def test_comma_lists_for_service_code_and_status(world, api_key):
    classified = Demand.objects.get(
        tracking_code=post(form(api_key("resident"))).json()[0]["service_request_id"]
    )
    untriaged = demand_in(world, "received")
    closed = demand_in(world, "closed")

    def codes(**params):
        response = Client().get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    every = {classified.tracking_code, untriaged.tracking_code, closed.tracking_code}
    assert codes(service_code="CG-001") == {classified.tracking_code}
    assert codes(service_code="CG-001,unclassified") == every
    assert codes(service_code="NOPE,CG-001") == {classified.tracking_code}
    assert codes(status="open,closed") == every
    assert codes(status="closed") == {closed.tracking_code}
    assert codes(status="open", service_code="unclassified") == {untriaged.tracking_code}


def test_page_and_page_size(world):
    made = [demand_in(world, "received") for _ in range(5)]
    newest_first = [d.tracking_code for d in sorted(made, key=lambda d: (d.received_at, d.pk), reverse=True)]

    def page(**params):
        response = Client().get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert page() == newest_first
    assert page(page_size=2) == newest_first[:2]
    assert page(page_size=2, page=2) == newest_first[2:4]
    assert page(page_size=2, page=3) == newest_first[4:]
    assert page(page_size=2, page=4) == []
    for bad in ({"page_size": "0"}, {"page_size": "1001"}, {"page": "x"}, {"page": "-1"}):
        assert_open311_error(Client().get("/open311/v2/requests.json", bad), 400)


@pytest.mark.parametrize("where", ["form", "query", "json", "bearer"])
def test_api_key_where_the_spec_puts_it_and_more(world, api_key, where):
    key = api_key("resident")
    data = form(key)
    del data["api_key"]
    c = Client()
    if where == "form":
        response = c.post("/open311/v2/requests.json", {**data, "api_key": key})
    elif where == "query":
        response = c.post(f"/open311/v2/requests.json?api_key={key}", data)
    elif where == "json":
        body = json.dumps({**data, "api_key": key})
        response = c.post("/open311/v2/requests.json", body, content_type="application/json")
    else:
        response = c.post("/open311/v2/requests.json", data, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    assert Demand.objects.get().created_by == world.users["resident"]


def test_json_body_with_nested_attributes_and_bad_json(world, api_key):
    bad = Client().post("/open311/v2/requests.json", "{not json", content_type="application/json")
    assert "JSON" in assert_open311_error(bad, 400)
    listed = Client().post("/open311/v2/requests.json", "[1]", content_type="application/json")
    assert_open311_error(listed, 400)


def test_address_id_places_by_our_codes(world, api_key):
    key = api_key("resident")
    for code, street, community, grid in (
        (world.community_a1.code, world.street_a, world.community_a1, None),
        (world.street_b.code[:9], world.street_b, None, None),
        (world.grid_a1.code, world.street_a, world.grid_a1.community, world.grid_a1),
    ):
        response = post(form(key, lat="", long="", address_id=code))
        assert response.status_code == 201, response.content
        sent = response.json()[0]["service_request_id"]
        demand = Demand.objects.get(tracking_code=sent)
        assert demand.street == street and demand.placement_source == "street_code"
        # Placed where the address_id says, not only in its street; read back as that place.
        assert (demand.community, demand.grid) == (community, grid)
        assert demand.open311.address_id == code
        [shown] = Client().get(f"/open311/v2/requests/{sent}.json").json()
        assert shown["address_id"] == (community or street).code
    outside = post(form(key, lat="", long="", address_id="110105001000"))
    assert "address_id" in assert_open311_error(outside, 400)
    assert "address_id" in assert_open311_error(post(form(key, lat="", long="", address_id="nowhere")), 400)
    assert Demand.objects.count() == 3


def test_media_url_is_stored_and_returned(world, api_key, settings):
    settings.OPEN311_MEDIA_ALLOW_NETWORKS = []  # the worker refuses it (an internal address); still returned
    url = "http://127.0.0.1/photo.jpg"
    code = post(form(api_key("resident"), media_url=url)).json()[0]["service_request_id"]
    [shown] = Client().get(f"/open311/v2/requests/{code}.json").json()
    assert shown["media_url"] == url
    assert "media_url" in assert_open311_error(
        post(form(api_key("resident"), media_url="ftp://x/y.jpg")), 400
    )
