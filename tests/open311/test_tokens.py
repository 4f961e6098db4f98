"""Asynchronous creation (`Prefer: respond-async`): a token at once, the worker creates the request, and
`GET /tokens/{token}` answers its id, in both formats."""

from __future__ import annotations

import pytest
from django.test import Client

from shaobao.api.models_open311 import Open311Token
from shaobao.intake.models import Demand
from tests.open311.conftest import assert_open311_error, both, parsed, post

pytestmark = pytest.mark.django_db

FORM = {
    "service_code": "CG-001",
    "lat": "40.145",
    "long": "117.105",
    "first_name": "三",
    "last_name": "张",
    "phone": "13812345678",
}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_token_then_the_request_id(world, api_key, fmt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post("requests", {"api_key": api_key("resident"), **FORM}, fmt, Prefer="respond-async")
    assert response.status_code == 202, response.content
    [answer] = parsed(response, "request_created")
    assert set(answer) == {"token", "service_notice", "account_id"}  # no service_request_id with a token
    token = answer["token"]
    [resolved] = both(f"tokens/{token}", "token")
    demand = Demand.objects.get()
    assert resolved == {"service_request_id": demand.tracking_code, "token": token}
    assert demand.open311.token == token and demand.reporter_name == "张三"
    assert Open311Token.objects.get().payload == {}  # the name and phone are not kept with the token


def test_a_token_before_the_worker_ran_has_no_id_yet(world, api_key):
    response = post("requests", {"api_key": api_key("resident"), **FORM}, Prefer="respond-async")
    token = response.json()[0]["token"]
    assert both(f"tokens/{token}", "token") == [{"service_request_id": None, "token": token}]


def test_async_still_checks_what_it_can_at_once(world, api_key):
    response = post(
        "requests", {"api_key": api_key("resident"), **FORM, "lat": "north"}, Prefer="respond-async"
    )
    assert "lat" in assert_open311_error(response, 400)
    assert not Open311Token.objects.exists()


def test_unknown_token_is_404(world):
    assert_open311_error(Client().get("/open311/v2/tokens/nope.xml"), 404)
