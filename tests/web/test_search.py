"""Search in the staff demand list: partial tracking codes for everyone who sees the demand; callers'
names and phone numbers only for the roles that may see reporters — others cannot probe by searching."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from shaobao.intake.models import Demand
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.intake.flow import blow, new_demand

pytestmark = pytest.mark.django_db


def found(client, world, who: str, q: str) -> set[str]:
    client.force_login(world.users[who])
    page = client.get(reverse("intake:demand_list"), {"q": q}).content.decode()
    return {code for code in world.codes if code in page}


@pytest.fixture
def searched(world):
    mine = new_demand(world, reporter_name="欧阳娜娜", reporter_phone="13900004321")
    other = new_demand(world, reporter_name="李四", reporter_phone="13700001111")
    blow(world, [mine])  # the lead unit's handler sees it too
    world.codes = {mine.tracking_code, other.tracking_code}
    return mine, other


@pytest.mark.parametrize("who", ["dispatcher", "street_leader", "coordinator", "admin", "lead_handler"])
def test_partial_tracking_code_is_found_by_everyone_who_sees_the_demand(client, world, searched, who):
    mine, _other = searched
    for part in (mine.tracking_code[-5:].lower(), mine.tracking_code[:-2], f" {mine.tracking_code[-6:]} "):
        assert mine.tracking_code in found(client, world, who, part), part


@pytest.mark.parametrize("who", ["dispatcher", "coordinator", "admin"])
def test_callers_name_and_phone_are_searchable_for_roles_that_may_see_them(client, world, searched, who):
    mine, other = searched
    assert found(client, world, who, "4321") == {mine.tracking_code}  # the last four digits
    assert found(client, world, who, "139-0000") == {mine.tracking_code}
    assert found(client, world, who, "娜娜") == {mine.tracking_code}
    assert found(client, world, who, "李四") == {other.tracking_code}


@pytest.mark.parametrize("who", ["street_leader", "grid_worker", "lead_handler", "dispatcher_b"])
def test_other_roles_cannot_probe_personal_data_by_search(client, world, searched, who):
    assert found(client, world, who, "4321") == set()
    assert found(client, world, who, "娜娜") == set()
    assert found(client, world, who, "13900004321") == set()


def test_the_api_search_follows_the_same_rule(world, searched, api_as):  # noqa: F811
    mine, _other = searched

    def codes(who, q):
        response = api_as(who).get("/api/v1/demands", {"q": q})
        assert response.status_code == 200
        return {d["tracking_code"] for d in response.json()["results"]}

    assert codes("dispatcher", "4321") == {mine.tracking_code}
    assert codes("coordinator", "欧阳") == {mine.tracking_code}
    assert codes("street_leader", "4321") == set()
    assert codes("lead_handler", "欧阳") == set()
    assert codes("lead_handler", mine.tracking_code[-5:]) == {mine.tracking_code}


# --- how far back a search looks (a year by default; all time one choice away) --------------------------


def received_days_ago(demand, days: int):
    Demand.objects.filter(pk=demand.pk).update(received_at=timezone.now() - dt.timedelta(days=days))


@pytest.fixture
def old_and_new(world):
    """Two demands about sewage in street A: one of 40 days ago, one of two years ago."""
    recent = new_demand(world, subject="污水外溢", body="下水道堵了")
    old = new_demand(world, subject="污水外溢", body="去年也堵过")
    received_days_ago(recent, 40)
    received_days_ago(old, 2 * 365)
    world.codes = {recent.tracking_code, old.tracking_code}
    return recent, old


def listed(client, params: dict, language: str = "zh-hans"):
    client.cookies["django_language"] = language
    response = client.get(reverse("intake:demand_list"), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response, response.content.decode()


def test_a_search_looks_through_the_last_year_and_says_so(client, world, old_and_new):
    recent, old = old_and_new
    client.force_login(world.users["dispatcher"])
    response, page = listed(client, {"q": "污水"})
    assert [d.pk for d in response.context["page"]] == [recent.pk]
    assert "近一年内找到 1 条诉求" in page
    assert '<option value="365" selected>近一年</option>' in page  # the form shows the period searched
    all_time = f"?q={quote('污水')}&amp;within=all"
    assert f'<a href="{all_time}">搜索全部时间</a>' in page

    response, page = listed(client, {"q": "污水"}, language="en")
    assert "1 demand found in the last year" in page
    assert "search all time</a>" in page

    response, page = listed(client, {"q": "污水", "within": "all"})
    assert [d.pk for d in response.context["page"]] == [recent.pk, old.pk]
    assert "2 条诉求" in page and "找到" not in page
    assert '<option value="all" selected>全部时间</option>' in page

    response, page = listed(client, {"q": "污水", "within": "30"}, language="en")
    assert [d.pk for d in response.context["page"]] == []
    assert "0 demands found in the last 30 days" in page


def test_a_whole_tracking_code_is_found_whatever_its_age(client, world, old_and_new):
    _recent, old = old_and_new
    client.force_login(world.users["dispatcher"])
    for typed in (old.tracking_code, f" {old.tracking_code.lower()} "):
        response, page = listed(client, {"q": typed})
        assert [d.pk for d in response.context["page"]] == [old.pk]
        assert "1 条诉求" in page and "搜索全部时间" not in page
    # A part of the code is a search like any other: the last year only.
    response, _page = listed(client, {"q": old.tracking_code[-6:]})
    assert list(response.context["page"]) == []


def test_the_list_without_a_search_shows_every_year(client, world, old_and_new):
    client.force_login(world.users["dispatcher"])
    response, page = listed(client, {})
    assert {d.pk for d in response.context["page"]} == {d.pk for d in old_and_new}
    assert '<option value="365" selected>近一年</option>' in page  # what a search would look through
    response, page = listed(client, {"state": "received"})
    assert {d.pk for d in response.context["page"]} == {d.pk for d in old_and_new}
    assert "找到" not in page


def test_a_windowed_search_pages_and_keeps_its_period(client, world, old_and_new):
    recent, old = old_and_new
    more = [new_demand(world, subject="污水冒出", body=f"第{i}次") for i in range(25)]
    for i, d in enumerate(more):
        received_days_ago(d, 10 + i)
    client.force_login(world.users["dispatcher"])
    response, page = listed(client, {"q": "污水"})
    assert response.context["page"].paginator.count == 26
    assert "近一年内找到 26 条诉求" in page and "第 1 / 2 页" in page
    assert f'href="?q={quote("污水")}&amp;page=2"' in page
    response, page = listed(client, {"q": "污水", "page": "2"})
    assert [d.pk for d in response.context["page"]] == [recent.pk]  # the oldest of the year, last
    response, page = listed(client, {"q": "污水", "within": "all", "page": "2"})
    assert [d.pk for d in response.context["page"]] == [recent.pk, old.pk]
    assert f'href="?q={quote("污水")}&amp;within=all&amp;page=1"' in page


def test_the_api_search_looks_through_the_same_period(world, old_and_new, api_as):  # noqa: F811
    recent, old = old_and_new

    def codes(params):
        response = api_as("dispatcher").get("/api/v1/demands", params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["results"])
        return [d["tracking_code"] for d in body["results"]]

    assert codes({"q": "污水"}) == [recent.tracking_code]
    assert codes({"q": "污水", "within": "all"}) == [recent.tracking_code, old.tracking_code]
    assert codes({"q": "污水", "within": "30"}) == []
    assert codes({"q": old.tracking_code}) == [old.tracking_code]
    assert codes({}) == [recent.tracking_code, old.tracking_code]
    refused = api_as("dispatcher").get("/api/v1/demands", {"q": "污水", "within": "7"})
    assert refused.status_code == 400 and "within" in refused.json()["error"]["fields"]
