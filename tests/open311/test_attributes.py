"""Service definitions with attributes (a pothole's size, a pole number): listed with `metadata: true`,
defined in both formats, validated on create (400 naming each bad attribute, nothing written), stored
with the demand and shown to the dispatcher in its body."""

from __future__ import annotations

import pytest

from shaobao.api.models_open311 import Open311Request, ServiceAttribute, ServiceAttributeValue
from shaobao.intake.models import Demand
from tests.open311.conftest import assert_open311_error, both, post

pytestmark = pytest.mark.django_db

IN_GRID_A1 = {"lat": "40.145", "long": "117.105"}


@pytest.fixture
def defined(world):
    size = ServiceAttribute.objects.create(
        service_code="CG-001",
        code="size",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="违建规模",
    )
    ServiceAttributeValue.objects.create(attribute=size, key="small", name="10平方米以下", order=1)
    ServiceAttributeValue.objects.create(attribute=size, key="large", name="10平方米以上", order=2)
    ServiceAttribute.objects.create(
        service_code="CG-001", code="floors", datatype="number", required=False, order=2, description="楼层数"
    )
    ServiceAttribute.objects.create(
        service_code="CG-001", code="pole", datatype="string", required=False, order=3, description="杆号"
    )
    kinds = ServiceAttribute.objects.create(
        service_code="CG-001", code="kinds", datatype="multivaluelist", order=4, description="类型"
    )
    for i, key in enumerate(("roof", "yard", "wall")):
        ServiceAttributeValue.objects.create(attribute=kinds, key=key, name=key, order=i)
    ServiceAttribute.objects.create(
        service_code="CG-001", code="seen", datatype="datetime", order=5, description="发现时间"
    )
    ServiceAttribute.objects.create(
        service_code="CG-001",
        code="note",
        variable=False,
        datatype="text",
        order=6,
        description="请勿填写个人信息",
    )


def test_service_lists_metadata_and_its_definition(world, defined):
    [service, _unclassified] = both("services", "services")
    assert service["metadata"] is True
    definition = both("services/CG-001", "service_definition")
    assert [a["code"] for a in definition["attributes"]] == [
        "size",
        "floors",
        "pole",
        "kinds",
        "seen",
        "note",
    ]
    size = definition["attributes"][0]
    assert size == {
        "variable": True,
        "code": "size",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "违建规模",
        "values": [{"key": "small", "name": "10平方米以下"}, {"key": "large", "name": "10平方米以上"}],
    }
    assert "values" not in definition["attributes"][1]
    assert definition["attributes"][5]["variable"] is False


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_valid_attributes_are_stored_on_the_demand(world, defined, api_key, fmt):
    data = {
        "api_key": api_key("resident"),
        "service_code": "CG-001",
        "attribute[size]": "large",
        "attribute[floors]": "2",
        "attribute[pole]": "BH-0042",
        "attribute[kinds][]": ["roof", "wall"],
        "attribute[seen]": "2024-05-01T08:00:00+08:00",
        "attribute[note]": "ignored: informs only",
        "attribute[fixmystreet_id]": "1001",  # not defined here: ignored
        **IN_GRID_A1,
    }
    response = post("requests", data, fmt)
    assert response.status_code == 201, response.content
    record = Open311Request.objects.get()
    assert record.attributes == {
        "size": "large",
        "floors": 2,
        "pole": "BH-0042",
        "kinds": ["roof", "wall"],
        "seen": "2024-05-01T08:00:00+08:00",
    }
    assert "违建规模: 10平方米以上" in record.demand.body  # the dispatcher reads it on the demand
    assert "杆号: BH-0042" in record.demand.body


def test_json_body_attributes(world, defined, api_key):
    body = {
        "api_key": api_key("resident"),
        "service_code": "CG-001",
        "attribute": {"size": "small", "kinds": ["yard"]},
    }
    response = post("requests", {**body, **IN_GRID_A1}, as_json=True)
    assert response.status_code == 201, response.content
    assert Open311Request.objects.get().attributes == {"size": "small", "kinds": ["yard"]}


@pytest.mark.parametrize(
    "attributes,named",
    [
        ({}, "attribute[size]"),  # required
        ({"attribute[size]": "huge"}, "attribute[size]"),  # not a value
        ({"attribute[size]": "small", "attribute[floors]": "two"}, "attribute[floors]"),
        ({"attribute[size]": "small", "attribute[pole]": "a\nb"}, "attribute[pole]"),
        ({"attribute[size]": "small", "attribute[kinds][]": ["roof", "moon"]}, "attribute[kinds]"),
        ({"attribute[size]": "small", "attribute[seen]": "yesterday"}, "attribute[seen]"),
        ({"attribute[size][]": ["small", "large"]}, "attribute[size]"),  # one value only
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_attributes_are_400_naming_the_attribute(world, defined, api_key, attributes, named, fmt):
    data = {"api_key": api_key("resident"), "service_code": "CG-001", **IN_GRID_A1, **attributes}
    assert named in assert_open311_error(post("requests", data, fmt), 400)
    assert not Demand.objects.exists() and not Open311Request.objects.exists()


def test_every_bad_attribute_is_named_at_once(world, defined, api_key):
    data = {"api_key": api_key("resident"), "service_code": "CG-001", "attribute[floors]": "x", **IN_GRID_A1}
    text = assert_open311_error(post("requests", data), 400)
    assert "attribute[size]" in text and "attribute[floors]" in text


def test_attributes_are_edited_in_the_admin(world, defined):
    from django.test import Client

    from tests.factories import UserFactory

    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    c = Client()
    c.force_login(staff)
    listed = c.get("/admin/api/serviceattribute/")
    assert listed.status_code == 200 and "违建规模" in listed.content.decode()
    size = ServiceAttribute.objects.get(code="size")
    assert c.get(f"/admin/api/serviceattribute/{size.pk}/change/").status_code == 200
    assert c.get("/admin/api/open311request/").status_code == 200


def test_demo_attributes_load_idempotently(db):
    from shaobao.demo.open311 import ATTRIBUTES, load_open311_attributes

    load_open311_attributes()
    load_open311_attributes()
    assert ServiceAttribute.objects.count() == len(ATTRIBUTES)
    assert ServiceAttribute.objects.get(service_code="CJ-005", code="size").values.count() == 3
