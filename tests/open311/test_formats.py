"""Every resource in XML (the default, also without an extension) and JSON, valid against the published
shapes, the two formats saying the same thing; discovery; errors in the request's format."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.intake.flow import demand_in
from tests.open311.conftest import BASE, assert_open311_error, both, check_xml, parsed, post, spark

pytestmark = pytest.mark.django_db

IN_GRID_A1 = {"lat": "40.145", "long": "117.105"}


def test_discovery_in_both_formats_points_at_the_endpoint(world):
    data = both("discovery", "discovery")
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_services_in_both_formats(world):
    data = both("services", "services", {"jurisdiction_id": "110117"})
    assert data[0] == {
        "service_code": "CG-001",
        "service_name": "违法建设",
        "description": world.matter.description,
        "metadata": False,
        "type": "realtime",
        "keywords": "违建,私搭乱建",
        "group": "城市管理",
    }
    assert [s["service_code"] for s in data] == ["CG-001", "unclassified"]


def test_xml_is_the_default_without_an_extension(world):
    response = Client().get(f"{BASE}/services")
    assert response.status_code == 200
    root = check_xml(response, "services")
    assert [s["service_code"] for s in spark(root)] == ["CG-001", "unclassified"]


def test_service_definition_without_attributes(world):
    assert both("services/CG-001", "service_definition") == {"service_code": "CG-001", "attributes": []}


def test_requests_list_one_and_create_in_both_formats(world, api_key):
    key = api_key("resident")
    created = {}
    for fmt in ("xml", "json"):
        response = post("requests", {"api_key": key, "service_code": "CG-001", **IN_GRID_A1}, fmt)
        assert response.status_code == 201, response.content
        [answer] = parsed(response, "request_created")
        assert set(answer) == {"service_request_id", "service_notice", "account_id"}
        created[fmt] = answer["service_request_id"]
    listed = both("requests", "service_requests")
    assert {r["service_request_id"] for r in listed} == set(created.values())
    [one] = both(f"requests/{created['xml']}", "service_requests")
    assert one["service_request_id"] == created["xml"]
    assert one in listed


def test_every_field_of_a_request_is_there(world):
    demand = demand_in(world, "received")
    [shown] = both(f"requests/{demand.tracking_code}", "service_requests")
    assert list(shown) == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_errors_come_in_the_requests_format(world, fmt):
    response = Client().get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "999999"})
    assert "999999" in assert_open311_error(response, 404)
    assert response["Content-Type"].startswith("text/xml" if fmt == "xml" else "application/json")


def test_unknown_format_unknown_path_and_wrong_method(world):
    assert ".xml or .json" in assert_open311_error(Client().get(f"{BASE}/services.csv"), 400)
    assert_open311_error(Client().get(f"{BASE}/nothing"), 404)
    assert_open311_error(Client().get(f"{BASE}/nothing.json"), 404)
    response = Client().delete(f"{BASE}/services.json")
    assert_open311_error(response, 405)
    assert response["Allow"] == "GET"


def test_xml_escapes_what_clients_type(world, api_key):
    response = post(
        "requests",
        {
            "api_key": api_key("resident"),
            "service_code": "CG-001",
            "description": "<b>&amp;</b>\x01",
            **IN_GRID_A1,
        },
        "xml",
    )
    assert response.status_code == 201, response.content
    listed = Client().get(f"{BASE}/requests.xml")
    check_xml(listed, "service_requests")  # still a valid document
