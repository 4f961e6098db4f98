"""Token authentication: hashed storage, the management command, Bearer and session access."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from shaobao.api.actions import do_issue_token, do_revoke_token
from shaobao.api.models import ApiToken
from tests.api.conftest import ApiClient, assert_error


def test_request_without_token_is_401(world, anon):
    error = assert_error(anon.get("/api/v1/units"), 401, "not_authenticated")
    assert error["fields"] == {}


def test_request_with_unknown_token_is_401(world):
    response = ApiClient("sb_not-a-real-token").get("/api/v1/units")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_scheme_is_401(world):
    _, raw = do_issue_token(user=world.users["dispatcher"])
    response = Client().get("/api/v1/units", headers={"Authorization": f"Token {raw}"})
    assert_error(response, 401)


def test_valid_token_authenticates_and_records_use(world):
    token, raw = do_issue_token(user=world.users["dispatcher"], name="gateway")
    response = ApiClient(raw).get("/api/v1/units")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(world):
    token, raw = do_issue_token(user=world.users["dispatcher"])
    do_revoke_token(token_id=token.pk)
    assert_error(ApiClient(raw).get("/api/v1/units"), 401)


def test_token_of_inactive_user_is_401(world):
    user = world.users["dispatcher"]
    _, raw = do_issue_token(user=user)
    user.is_active = False
    user.save()
    assert_error(ApiClient(raw).get("/api/v1/units"), 401)


def test_only_the_hash_is_stored(world):
    token, raw = do_issue_token(user=world.users["dispatcher"])
    assert raw not in {token.key_hash, token.prefix}
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix)


def test_api_token_command_prints_a_working_token(world):
    out, err = StringIO(), StringIO()
    call_command("api_token", "lead_handler", "--name", "12345-gateway", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=world.users["lead_handler"])
    assert token.name == "12345-gateway"
    assert ApiClient(raw).get("/api/v1/units/CGZF").status_code == 200


def test_api_token_command_rejects_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("api_token", "no-such-user", stdout=StringIO(), stderr=StringIO())


def test_logged_in_browser_session_is_accepted(world):
    client = Client()
    client.force_login(world.users["dispatcher"])
    assert client.get("/api/v1/units/CGZF").status_code == 200


def test_session_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["dispatcher"])
    response = client.post("/api/v1/demands", {}, content_type="application/json")
    assert_error(response, 403, "csrf_failed")


def test_session_post_with_csrf_token_works(world):
    """As from the docs page or an htmx page: the CSRF cookie's token sent back in X-CSRFToken."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["dispatcher"])
    client.get("/api/v1/docs")  # renders {% csrf_token %}, which sets the cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/demands",
        {"channel": "hotline_12345", "subject": "路灯不亮", "body": "小区路灯坏了", "street": "110117001"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


def test_last_use_is_written_at_most_once_a_minute(world):
    import datetime as dt

    from django.utils import timezone

    token, raw = do_issue_token(user=world.users["dispatcher"], name="gateway")
    recent = timezone.now() - dt.timedelta(seconds=20)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert ApiClient(raw).get("/api/v1/units").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent  # used 20 s ago: not written again
    old = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    assert ApiClient(raw).get("/api/v1/units").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > old + dt.timedelta(minutes=4)


def test_token_user_comes_with_his_seats_and_converted_fields(world):
    from django.test import RequestFactory
    from django.utils import timezone

    from shaobao.api.auth import BearerToken
    from shaobao.intake import people
    from shaobao.org.models import User

    user = world.users["dispatcher"]
    user.last_login = timezone.now()
    user.save()
    _, raw = do_issue_token(user=user)
    found = BearerToken().authenticate(RequestFactory().get("/api/v1/units"), raw)
    stored = User.objects.get(pk=user.pk)
    assert found.pk == user.pk and found.last_login == stored.last_login  # aware, also on SQLite
    assert found.is_active is True and found.username == stored.username
    assert found._shaobao_seats == people.seats(stored) and found._shaobao_seats


def test_receiving_a_placed_demand_takes_few_round_trips(world, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("dispatcher")
    body = {
        "channel": "hotline_12345",
        "subject": "井盖缺失",
        "body": "路口井盖丢失",
        "lat": 40.145,
        "lng": 117.105,
    }
    assert client.post("/api/v1/demands", body).status_code == 201  # warms the placement index
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/demands", {**body, "street": "110117001"})
    assert response.status_code == 201 and response.json()["street"]["code"] == "110117001000"
    # Token with user and seats, the given street, placement (signature + candidate grids in one), then
    # the demand with its event and bell rows: one statement on PostgreSQL, three on SQLite; and, in the
    # same transaction, the domain events received and placed for their subscribers (SMS): one insert.
    # (Savepoints and other apps' receivers of the demand's post_save are not counted here.)
    sql = [q["sql"] or "" for q in queries.captured_queries]
    ours = [s for s in sql if s.startswith(("SELECT", "INSERT", "WITH")) and "routing_" not in s]
    ours = [s for s in ours if "core_outboxevent" not in s or s.startswith("INSERT")]  # (after commit: clear)
    assert len(ours) == (5 if connection.vendor == "postgresql" else 7), ours
