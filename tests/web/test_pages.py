"""Every page renders for the roles that use it; people outside the organisation get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["intake:demand_list", "intake:new_demand", "whistles:inbox", "whistles:whistle_list"]


@pytest.mark.parametrize("role", ["dispatcher", "street_leader", "coordinator", "admin"])
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_street_and_district_pages_render(login, role, name, demand):
    response = login(role).get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["lead_handler", "supporting_handler", "section_handler"])
def test_unit_staff_see_inbox_and_whistles(login, role, whistle):
    client = login(role)
    assert client.get(reverse("whistles:inbox")).status_code == 200
    assert client.get(reverse("whistles:whistle_list")).status_code == 200


@pytest.mark.parametrize(
    "role", ["dispatcher", "street_leader", "coordinator", "lead_handler", "supporting_handler"]
)
def test_whistle_and_demand_pages_render_for_everyone_involved(login, role, whistle, demand):
    client = login(role)
    page = client.get(reverse("whistles:whistle_detail", args=[whistle.pk]))
    assert page.status_code == 200
    assert "区城管执法局" in page.content.decode()
    assert client.get(reverse("intake:demand_detail", args=[demand.pk])).status_code == 200


@pytest.mark.parametrize("role", ["outsider", "dispatcher_b"])
def test_people_outside_get_404(login, role, whistle, demand):
    client = login(role)
    assert client.get(reverse("intake:demand_detail", args=[demand.pk])).status_code == 404
    assert client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).status_code == 404
    summons = whistle.summonses.get(role="lead")
    assert client.post(reverse("whistles:report_in", args=[summons.pk])).status_code == 404
    assert client.post(reverse("intake:reveal_reporter", args=[demand.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, demand):
    response = client.get(reverse("intake:demand_detail", args=[demand.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert client.get(reverse("whistles:inbox")).status_code == 302


def test_demand_list_filters_by_state_and_search(login, demand, whistle, world):
    client = login("dispatcher")
    listed = client.get(reverse("intake:demand_list"), {"state": "whistled"}).content.decode()
    assert demand.tracking_code in listed
    assert (
        demand.tracking_code
        not in client.get(reverse("intake:demand_list"), {"state": "received"}).content.decode()
    )
    assert demand.tracking_code in client.get(reverse("intake:demand_list"), {"q": "楼顶"}).content.decode()


def test_whistle_list_filters_by_unit(login, whistle, world):
    client = login("coordinator")
    url = reverse("whistles:whistle_list")
    assert f"#{whistle.pk}" in client.get(url, {"unit": world.lead_unit.code}).content.decode()
    assert f"#{whistle.pk}" not in client.get(url, {"unit": world.section_a.code}).content.decode()


def test_staff_form_records_a_demand(login, world):
    client = login("dispatcher")
    response = client.post(
        reverse("intake:new_demand"),
        {
            "channel": "hotline_12345",
            "kind": "complaint",
            "urgency": "urgent",
            "subject": "路灯不亮",
            "body": "小区东门路灯坏了一周",
            "reporter_name": "李四",
            "reporter_phone": "13900001111",
            "street_code": world.street_a.code,
        },
    )
    assert response.status_code == 302
    from shaobao.intake.models import Demand

    demand = Demand.objects.get(subject="路灯不亮")
    assert demand.street == world.street_a and demand.channel == "hotline_12345"
    assert response["Location"] == reverse("intake:demand_detail", args=[demand.pk])


def test_poll_after_logout_sends_the_browser_to_login(client):
    response = client.get(reverse("whistles:inbox_items"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_user_without_any_role_is_refused(login, name):
    assert login("nobody").get(reverse(name)).status_code == 403


def test_closed_whistle_page_offers_the_street_a_rating_link(world, login):
    from shaobao.whistles import actions as wf
    from tests.intake.flow import fed_back

    whistle = fed_back(world)
    rate_url = reverse("evaluation:rate", args=[whistle.pk])
    page = reverse("whistles:whistle_detail", args=[whistle.pk])
    assert rate_url not in login("dispatcher").get(page).content.decode()  # not before it is closed
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    assert rate_url in login("dispatcher").get(page).content.decode()
    assert rate_url not in login("lead_handler").get(page).content.decode()
