"""Search in the staff demand list: partial tracking codes for everyone who sees the demand; callers'
names and phone numbers only for the roles that may see reporters — others cannot probe by searching."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
