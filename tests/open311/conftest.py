"""Open311 test helpers: API keys, the published shapes as XML Schemas (tests/open311/schemas/, written from
the spec's field tables: the spec publishes no XSD), and the Spark convention that maps the XML onto the
JSON, so every read is checked in both formats and the two must say the same thing."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from django.test import Client

from shaobao.api.actions import do_issue_token
from tests.api.conftest import anon  # noqa: F401 - re-exported fixture

SCHEMAS = Path(__file__).parent / "schemas"
# The spec's containers and their items (Spark convention): these become JSON arrays.
CONTAINERS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}
BASE = "/open311/v2"


@pytest.fixture
def api_key(world):
    """`api_key("resident")` → a raw API token of that persona (what `manage.py api_token` prints)."""

    def make(persona: str) -> str:
        _, raw = do_issue_token(user=world.users[persona], name=f"open311-{persona}")
        return raw

    return make


@functools.cache
def schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / f"{name}.xsd"))


def spark(element: ET.Element):
    """XML → the JSON the spec's Spark convention makes of it (every leaf as text)."""
    children = list(element)
    if element.tag in CONTAINERS:
        assert all(c.tag == CONTAINERS[element.tag] for c in children), element.tag
        return [spark(c) for c in children]
    if children:
        return {c.tag: spark(c) for c in children}
    return element.text or ""


def as_text(value):
    """JSON → the same with every leaf as the XML's text."""
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def typed(decoded, tag: str):
    """The schema's decoding of the XML (xmlschema: booleans, integers, decimals as such) → the JSON the Spark
    convention makes of it, with the schema's types; an empty element and an empty string both read None."""
    if tag in CONTAINERS:
        items = (decoded or {}).get(CONTAINERS[tag], [])
        items = items if isinstance(items, list) else [items]  # a container of at most one item
        return [typed(item, CONTAINERS[tag]) for item in items]
    if isinstance(decoded, dict):
        return {key: typed(value, key) for key, value in decoded.items()}
    return None if decoded == "" else decoded


def same_types(value):
    """JSON → comparable with `typed`: "" read as None (the XML cannot tell them apart)."""
    if isinstance(value, list):
        return [same_types(v) for v in value]
    if isinstance(value, dict):
        return {k: same_types(v) for k, v in value.items()}
    return None if value == "" else value


def check_json_types(xml_body: bytes, schema_name: str, data) -> None:
    """The JSON carries the schema's types: `lat` a number, `metadata`/`required`/`variable` booleans,
    `order` an integer, codes and ids strings (the published API definition's types), and the same values."""
    root = ET.fromstring(xml_body).tag
    decoded = schema(schema_name).to_dict(xml_body.decode("utf-8"), decimal_type=float)
    expected = typed(decoded, root)
    actual = same_types(data)

    def walk(exp, act, where):
        if isinstance(exp, list):
            assert isinstance(act, list) and len(act) == len(exp), where
            for i, (e, a) in enumerate(zip(exp, act, strict=True)):
                walk(e, a, f"{where}[{i}]")
        elif isinstance(exp, dict):
            assert isinstance(act, dict) and set(act) == set(exp), (where, set(act) ^ set(exp))
            for key in exp:
                walk(exp[key], act[key], f"{where}.{key}")
        else:
            assert type(act) is type(exp) and act == exp, (where, exp, act)

    walk(expected, actual, root)


def check_xml(response, schema_name: str):
    """A valid document of that schema, UTF-8 with its declaration, served as text/xml; → the root."""
    assert response["Content-Type"] == "text/xml; charset=utf-8", response["Content-Type"]
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    schema(schema_name).validate(body.decode("utf-8"))
    return ET.fromstring(body)


def check_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8", response["Content-Type"]
    return json.loads(response.content.decode("utf-8"))


def both(path: str, schema_name: str, params: dict | None = None, status: int = 200, client=None):
    """GET `path`.xml and `path`.json: each valid, the same content. Returns the JSON."""
    c = client or Client()
    as_xml = c.get(f"{BASE}/{path}.xml", params or {})
    as_json = c.get(f"{BASE}/{path}.json", params or {})
    assert (as_xml.status_code, as_json.status_code) == (status, status), (as_xml.content, as_json.content)
    root = check_xml(as_xml, schema_name)
    data = check_json(as_json)
    assert spark(root) == as_text(data)
    check_json_types(as_xml.content, schema_name, data)
    return data


def post(path: str, data: dict, fmt: str = "json", *, as_json: bool = False, **headers):
    url = f"{BASE}/{path}.{fmt}"
    if as_json:
        return Client().post(url, json.dumps(data), content_type="application/json", headers=headers)
    return Client().post(url, data, headers=headers)


def parsed(response, schema_name: str):
    """A response in either format → its JSON-shaped content (XML checked against the schema)."""
    if response["Content-Type"].startswith("text/xml"):
        return spark(check_xml(response, schema_name))
    return check_json(response)


def assert_open311_error(response, status: int) -> str:
    """The spec's error list, with that HTTP status, in the response's format; returns the descriptions."""
    assert response.status_code == status, response.content
    body = parsed(response, "errors")
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and str(e["code"]) == str(status) for e in body)
    return " | ".join(e["description"] for e in body)
