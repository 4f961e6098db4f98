"""API test helpers: a token per persona and a client that sends it."""

from __future__ import annotations

import pytest
from django.test import Client

from shaobao.api.actions import do_issue_token


class ApiClient:
    """A Django test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None, **headers):
        self.client = Client()
        self.headers = dict(headers)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, data=None, **headers):
        return self.client.get(path, data or {}, headers={**self.headers, **headers})

    def post(self, path: str, body=None, **headers):
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )


@pytest.fixture
def api_as(world):
    """`api_as("dispatcher")` → an ApiClient authenticated as that persona."""
    cache: dict[str, ApiClient] = {}

    def make(persona: str) -> ApiClient:
        if persona not in cache:
            _, raw = do_issue_token(user=world.users[persona], name=f"test-{persona}")
            cache[persona] = ApiClient(raw)
        return cache[persona]

    return make


@pytest.fixture
def anon():
    return ApiClient()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is `{"error": {"code", "message", "fields"}}` with this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert " / " in body["error"]["message"]  # 中文 / English
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]
