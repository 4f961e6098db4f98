"""The OpenAPI schema and the interactive docs (served without any external URL)."""

from __future__ import annotations

import json
import re
import typing

from django.contrib.staticfiles import finders
from django.test import Client


def test_openapi_json_lists_the_paths_and_the_bearer_scheme(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"]
    assert schema["info"]["version"]
    for path in (
        "/api/v1/divisions",
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/matters",
        "/api/v1/matters/{code}",
        "/api/v1/demands",
        "/api/v1/demands/{demand_id}",
        "/api/v1/demands/{demand_id}/triage",
        "/api/v1/demands/{demand_id}/callback",
        "/api/v1/whistles",
        "/api/v1/whistles/{whistle_id}",
        "/api/v1/whistles/{whistle_id}/verify",
        "/api/v1/summons/{summons_id}/report-in",
        "/api/v1/summons/{summons_id}/dispute",
        "/api/v1/summons/{summons_id}/arbitrate",
        "/api/v1/summons/{summons_id}/progress",
        "/api/v1/summons/{summons_id}/extension",
        "/api/v1/summons/{summons_id}/finish",
        "/api/v1/extensions/{extension_id}/decide",
        "/api/v1/inbox",
        "/api/v1/track/{code}",
    ):
        assert path in schema["paths"], path
    schemes = schema["components"]["securitySchemes"]
    bearer = [s for s in schemes.values() if s.get("scheme") == "bearer"]
    assert bearer and bearer[0]["type"] == "http" and "bearerFormat" in bearer[0]


def test_docs_page_loads_swagger_from_our_own_static_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "docs must not load from a CDN"
    assets = re.findall(r"""(?:src|href)=["']/static/([^"']+)["']""", html)
    assert {"ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"} <= set(assets)
    for asset in assets:
        assert finders.find(asset), f"static file {asset} is not found by staticfiles"
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    assert json.loads(settings_json)["validatorUrl"] is None  # no badge fetched from the public validator


def test_openapi_documents_idempotency_key_errors_and_public_tracking(db):
    schema = Client().get("/api/v1/openapi.json").json()
    receive = schema["paths"]["/api/v1/demands"]["post"]
    headers = [p["name"] for p in receive.get("parameters", []) if p["in"] == "header"]
    assert "Idempotency-Key" in headers
    assert {"200", "201", "400", "401"} <= set(receive["responses"])
    assert "ErrorOut" in str(receive["responses"]["400"])
    assert not schema["paths"]["/api/v1/track/{code}"]["get"].get("security")
    assert schema["paths"]["/api/v1/units"]["get"]["security"]


def test_every_documented_request_body_is_the_one_the_endpoint_validates(db):
    """Two request schemas of one name (say the admission's and the powers' `DecideIn`) share one
    component in the OpenAPI document: a client reading it would send the wrong body and get 400."""
    from shaobao.api.api import api

    documented = json.loads(Client().get("/api/v1/openapi.json").content)
    components = documented["components"]["schemas"]
    checked = 0
    seen: dict[str, set] = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ != "body":
                        continue
                    for field in model.model_fields.values():
                        body = field.annotation
                        if not hasattr(body, "model_json_schema"):
                            continue
                        url = "/api/v1" + re.sub(r"<\w+:(\w+)>|<(\w+)>", r"{\1\2}", prefix + path)
                        for method in operation.methods:
                            spec = documented["paths"][url.replace("//", "/")][method.lower()]
                            content = spec["requestBody"]["content"]
                            ref = next(iter(content.values()))["schema"].get("$ref", "")
                            props = components[ref.rsplit("/", 1)[-1]].get("properties", {})
                            wanted = body.model_json_schema(by_alias=True).get("properties", {})
                            assert set(props) == set(wanted), (url, method, body.__name__)
                            checked += 1
                # Responses too: one class per component name.
                for model in (operation.response_models or {}).values():
                    for field in getattr(model, "model_fields", {}).values():
                        for cls in (field.annotation, *typing.get_args(field.annotation)):
                            if hasattr(cls, "model_json_schema"):
                                seen.setdefault(cls.__name__, set()).add(cls)
    assert checked > 40
    assert {name: classes for name, classes in seen.items() if len(classes) > 1} == {}
