"""Open311 test helpers: the API token fixtures of tests/api, and the error-array check."""

from __future__ import annotations

import pytest

from shaobao.api.actions import do_issue_token
from tests.api.conftest import anon  # noqa: F401 - re-exported fixture


@pytest.fixture
def api_key(world):
    """`api_key("resident")` → a raw API token of that persona (what `manage.py api_token` prints)."""

    def make(persona: str) -> str:
        _, raw = do_issue_token(user=world.users[persona], name=f"open311-{persona}")
        return raw

    return make


def assert_open311_error(response, status: int) -> str:
    """`[{"code": status, "description": "..."}]` with that HTTP status; returns the descriptions."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
    return " | ".join(e["description"] for e in body)
