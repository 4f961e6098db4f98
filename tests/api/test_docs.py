"""The OpenAPI schema and the interactive docs (served without any external URL)."""

from __future__ import annotations

import json
import re

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
