"""Open311 services: the published duty list's matters in force, one district at a time, and the
unclassified service."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DomainFactory, DutyListFactory, MatterFactory
from tests.open311.conftest import assert_open311_error

pytestmark = pytest.mark.django_db


def test_services_list_the_matters_in_force(world):
    response = Client().get("/open311/v2/services.json", {"jurisdiction_id": "110117"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "service_code": "CG-001",
            "service_name": "违法建设",
            "description": world.matter.description,
            "metadata": False,
            "type": "realtime",
            "keywords": "违建,私搭乱建",
            "group": "城市管理",
        },
        {
            "service_code": "unclassified",
            "service_name": "待分类",
            "description": response.json()[1]["description"],
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "其他",
        },
    ]


def test_draft_duty_list_is_not_published_as_services(world):
    draft = DutyListFactory(district=world.district, name="草稿", version=2)
    MatterFactory(duty_list=draft, code="DRAFT-1", domain=DomainFactory(), lead_unit=world.lead_unit)
    codes = [s["service_code"] for s in Client().get("/open311/v2/services.json").json()]
    assert codes == ["CG-001", "unclassified"]  # the only published district is the default jurisdiction


def test_unknown_jurisdiction_is_404(world):
    assert_open311_error(Client().get("/open311/v2/services.json?jurisdiction_id=999999"), 404)


def test_service_definition_has_no_attributes(world):
    response = Client().get("/open311/v2/services/CG-001.json", {"jurisdiction_id": world.district.code})
    assert response.status_code == 200
    assert response.json() == {"service_code": "CG-001", "attributes": []}


def test_unknown_service_is_404(world):
    text = assert_open311_error(Client().get("/open311/v2/services/NOPE.json"), 404)
    assert "NOPE" in text


def test_unknown_path_and_wrong_method(world):
    assert_open311_error(Client().get("/open311/v2/nothing"), 404)
    response = Client().delete("/open311/v2/services.json")
    assert_open311_error(response, 405)
    assert response["Allow"] == "GET"
