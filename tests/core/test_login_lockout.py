"""Login throttling (django-axes): wrong passwords lock the username and the address out for a while, with
a message on the login page in its language; an administrator's unlock restores the login; API tokens are
not affected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from shaobao.api.actions import do_issue_token

PASSWORD = "pass-12345"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def post_login(client: Client, username: str, password: str, address: str = "10.0.0.1", lang="zh-hans"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(world):
    client = Client()
    for _ in range(30):
        post_login(client, "dispatcher", "wrong-password")
    response = post_login(client, "dispatcher", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    text = response.content.decode()
    assert "登录失败次数过多" in text and "15 分钟" in text
    assert 'name="password"' in text  # the login page itself, not a bare error


def test_lockout_by_username_holds_from_another_address(world):
    for _ in range(5):
        post_login(Client(), "dispatcher", "wrong-password", address="10.0.0.1")
    client = Client()
    response = post_login(client, "dispatcher", PASSWORD, address="10.0.0.99")
    assert response.status_code == 429
    assert not logged_in(client)


def test_lockout_by_address_refuses_other_users_from_it(world):
    for name in ["street_leader", "grid_worker", "coordinator", "lead_handler", "admin"]:
        post_login(Client(), name, "wrong-password", address="10.0.0.7")
    blocked = Client()
    assert post_login(blocked, "dispatcher", PASSWORD, address="10.0.0.7").status_code == 429
    assert not logged_in(blocked)
    elsewhere = Client()
    assert post_login(elsewhere, "dispatcher", PASSWORD, address="10.0.0.8").status_code == 302
    assert logged_in(elsewhere)


def test_fewer_failures_than_the_limit_still_log_in(world):
    client = Client()
    for _ in range(4):
        assert post_login(client, "dispatcher", "wrong-password").status_code == 200
    assert post_login(client, "dispatcher", PASSWORD).status_code == 302
    assert logged_in(client)


def test_lockout_message_in_english_on_an_english_page(world):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(6):
        response = post_login(client, "dispatcher", "wrong-password", lang="en")
    text = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed logins" in text and "15 minutes" in text
    assert "登录失败次数过多" not in text


def test_admin_unlock_in_the_admin_restores_login(world):
    from axes.models import AccessAttempt

    for _ in range(6):
        post_login(Client(), "dispatcher", "wrong-password")
    assert AccessAttempt.objects.filter(username="dispatcher").exists()

    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    staff = Client()
    staff.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert staff.get(changelist).status_code == 200
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = staff.post(
        changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}, follow=True
    )
    assert response.status_code == 200

    client = Client()
    assert post_login(client, "dispatcher", PASSWORD).status_code == 302
    assert logged_in(client)


def test_reset_command_unlocks_a_username(world):
    for _ in range(6):
        post_login(Client(), "dispatcher", "wrong-password", address="10.0.0.2")
    call_command("axes_reset_username", "dispatcher")
    client = Client()
    assert post_login(client, "dispatcher", PASSWORD, address="10.0.0.3").status_code == 302


def test_api_token_still_works_for_a_locked_out_user(world):
    user = world.users["dispatcher"]
    for _ in range(6):
        post_login(Client(), "dispatcher", "wrong-password", address="127.0.0.1")
    _, raw = do_issue_token(user=user, name="lockout-test")
    response = Client().get("/api/v1/demands", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
