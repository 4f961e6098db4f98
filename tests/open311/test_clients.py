"""Two Open311 client libraries from PyPI against the running server (Django's live_server):
`georeport` (requests + xmltodict; XML and JSON) and `civicbot`'s Open311Client (stdlib; JSON, creates
requests with attributes, reads tokens)."""

from __future__ import annotations

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from django.test import Client
from georeport import GeoReport

from shaobao.api.models_open311 import ServiceAttribute, ServiceAttributeValue
from shaobao.intake.models import Demand
from tests.intake.flow import demand_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def root(live_server):
    return f"{live_server.url}/open311/v2"


@pytest.fixture
def pole(world):
    attribute = ServiceAttribute.objects.create(
        service_code="CG-001",
        code="size",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="规模",
    )
    ServiceAttributeValue.objects.create(attribute=attribute, key="small", name="小")
    ServiceAttributeValue.objects.create(attribute=attribute, key="large", name="大")


def civic(root) -> Open311Client:
    endpoint = Endpoint(id="shaobao", name="Shaobao", base_url=root, write=True)
    transport = HttpTransport(timeout=20, rate_limiter=RateLimiter(min_interval=0))
    return Open311Client(endpoint, transport, jurisdiction_id="110117", fmt="json")


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_reads_services_definitions_and_requests(world, pole, root, fmt):
    received = demand_in(world, "received")
    closed = demand_in(world, "closed")
    client = GeoReport(root, jurisdiction="110117", output_format=fmt)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["CG-001", "unclassified"]
    assert str(services[0]["metadata"]).lower() == "true"
    definition = client.get_service_definition("CG-001")
    attributes = as_list(definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"])
    assert attributes[0]["code"] == "size"
    values = attributes[0]["values"]["value"] if fmt == "xml" else attributes[0]["values"]
    assert [v["key"] for v in values] == ["small", "large"]
    every = as_list(client.get_service_requests())
    assert {r["service_request_id"] for r in every} == {received.tracking_code, closed.tracking_code}
    [only_closed] = as_list(client.get_service_requests(status="closed", service_code="unclassified,CG-001"))
    assert only_closed["service_request_id"] == closed.tracking_code and only_closed["status"] == "closed"
    one = client.get_service_request(received.tracking_code)
    assert one["service_request_id"] == received.tracking_code
    assert one["service_code"] == "unclassified"


def test_civicbot_creates_with_attributes_and_reads_back(world, pole, root, api_key):
    client = civic(root)
    prepared = client.create_request(
        "CG-001",
        dry_run=False,
        confirm="SEND",
        api_key=api_key("resident"),
        validate_remote=True,  # reads services and the definition, checks the attributes itself
        lat=40.145,
        lng=117.105,
        description="楼顶违建",
        attributes={"size": "large"},
    )
    [answer] = prepared.response
    code = answer["service_request_id"]
    demand = Demand.objects.get(tracking_code=code)
    assert demand.open311.attributes == {"size": "large"}
    shown = client.get_request(code)
    assert shown["service_code"] == "CG-001" and shown["status"] == "open"
    assert shown["lat"] is not None and (shown["lat"], shown["long"]) != (40.145, 117.105)
    listed = client.list_requests(status="open", service_code="CG-001", page_size=1)
    assert [r["service_request_id"] for r in listed] == [code]


def test_civicbot_sees_a_missing_required_attribute_as_the_server_does(world, pole, root, api_key):
    from civicbot.http import HttpError
    from civicbot.open311 import ValidationError

    client = civic(root)
    with pytest.raises(ValidationError):  # the library reads our definition and refuses first
        client.create_request(
            "CG-001",
            dry_run=False,
            confirm="SEND",
            api_key="x",
            validate_remote=True,
            lat=40.145,
            lng=117.105,
        )
    prepared = client.build_request("CG-001", lat=40.145, lng=117.105, api_key=api_key("resident"))
    with pytest.raises(HttpError) as raised:  # sent anyway: the server refuses, naming the attribute
        client.http.post_form(prepared.url, prepared.form)
    assert raised.value.status == 400 and "attribute[size]" in raised.value.body
    assert not Demand.objects.exists()


def test_civicbot_reads_a_token(world, root, api_key):
    response = Client().post(
        "/open311/v2/requests.json",
        {"api_key": api_key("resident"), "service_code": "CG-001", "lat": "40.145", "long": "117.105"},
        headers={"Prefer": "respond-async"},
    )
    token = response.json()[0]["token"]
    [resolved] = civic(root).get_token(token)
    assert resolved == {"service_request_id": Demand.objects.get().tracking_code, "token": token}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_each_failure_the_issue_lists_is_gone_for_both_clients(world, root, api_key, settings, fmt):
    """The issue's first paragraph, item by item, as the two libraries see it: civicbot files the requests
    (by address only, by `address_id`, by a point with a `media_url`; `api_key` in the query string and in
    a JSON body), georeport reads them back in XML and in JSON."""
    from civicbot.http import HttpTransport as Transport

    settings.OPEN311_MEDIA_ALLOW_NETWORKS = []  # the worker refuses the local URL; it is still returned
    key = api_key("resident")
    client = civic(root)
    filed = {}
    for name, where in {
        "by_address": {"address_string": "承平里3号楼"},  # placed by words only
        "by_address_id": {"address_id": world.community_a1.code},
        "by_point": {"lat": 40.145, "lng": 117.105, "media_url": "http://127.0.0.1/photo.jpg"},
    }.items():
        prepared = client.create_request("CG-001", dry_run=False, confirm="SEND", api_key=key, **where)
        filed[name] = prepared.response[0]["service_request_id"]
    http = Transport(timeout=20, rate_limiter=RateLimiter(min_interval=0))
    query = (
        http.post_form(
            f"{root}/requests.{fmt}?api_key={key}", {"service_code": "CG-001", "lat": 40.145, "long": 117.105}
        )
        if fmt == "json"
        else None
    )
    body = http.post_json(
        f"{root}/requests.json",
        {"api_key": key, "service_code": "unclassified", "lat": 40.145, "long": 117.105},
    )
    if query is not None:
        filed["query_key"] = query[0]["service_request_id"]
    filed["json_body_key"] = body[0]["service_request_id"]

    reader = GeoReport(root, jurisdiction="110117", output_format=fmt)
    read = {code: reader.get_service_request(code) for code in filed.values()}
    # service_code never null: the service the client chose, also for a request placed by address only.
    assert read[filed["by_address"]]["service_code"] == "CG-001"
    assert read[filed["json_body_key"]]["service_code"] == "unclassified"
    # address_id accepted and returned; media_url stored and returned.
    assert read[filed["by_address_id"]]["address_id"] == world.community_a1.code
    assert read[filed["by_point"]]["media_url"] == "http://127.0.0.1/photo.jpg"
    # lat/long returned (coarsened), so a map client can show the report.
    point = read[filed["by_point"]]
    assert point["lat"] not in (None, "") and point["long"] not in (None, "")
    assert abs(float(point["lat"]) - 40.145) < 0.001 and (float(point["lat"]), float(point["long"])) != (
        40.145,
        117.105,
    )
    # Comma lists for service_code and status are honoured (not "nothing").
    listed = as_list(reader.get_service_requests(service_code="CG-001,unclassified", status="open,closed"))
    assert {r["service_request_id"] for r in listed} == set(filed.values())
    only_unclassified = as_list(reader.get_service_requests(service_code="NOPE,unclassified"))
    assert [r["service_request_id"] for r in only_unclassified] == [filed["json_body_key"]]
    # page_size honoured (civicbot sends it).
    assert len(client.list_requests(page_size=2)) == 2
    assert Demand.objects.count() == len(filed)
