"""The district coordination board: who may see it, what it lists, the map feed, and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shaobao.intake.models import Demand
from shaobao.platform import selectors
from shaobao.whistles.models import Summons
from shaobao.whistles.supervision import sweep
from tests.factories import DivisionFactory
from tests.intake.flow import blow, lead_of, new_demand

NAME, PHONE = "张三", "13812345678"


def _overdue(summons: Summons, days: int = 2) -> Summons:
    """Move the summons' report-in limit into the past (the sweep and the board read the clock)."""
    Summons.objects.filter(pk=summons.pk).update(
        report_in_due=timezone.now() - dt.timedelta(days=days),
        report_in_warn_at=timezone.now() - dt.timedelta(days=days + 1),
    )
    summons.refresh_from_db()
    return summons


@pytest.fixture
def overdue_lead(world):
    return _overdue(lead_of(blow(world)))


@pytest.mark.django_db
def test_coordinator_sees_the_board_with_an_overdue_summons(client, world, overdue_lead):
    sweep()  # issues the supervision orders the board counts
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("platform:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("whistles:whistle_detail", args=[overdue_lead.whistle_id]) in html
    assert world.lead_unit.name in html
    assert world.street_a.name in html
    summary = response.context["overdue"]
    assert summary["total"] == 1  # the lead unit missed its report-in limit; the supporting one has time
    assert summary["report_in"] == 1 and summary["finish"] == 0
    assert summary["open_supervision_orders"] == 1
    assert [(r["unit_id"], r["n"]) for r in summary["by_unit"]] == [(world.lead_unit.pk, 1)]
    assert [(r["whistle__street_id"], r["n"]) for r in summary["by_street"]] == [(world.street_a.pk, 1)]
    assert overdue_lead in list(response.context["page"])
    assert "vendor/leaflet/leaflet.js" in html and "unpkg" not in html and "cdn" not in html.lower()


@pytest.mark.django_db
def test_administrator_of_the_district_sees_the_board(client, world, overdue_lead):
    client.force_login(world.users["admin"])
    assert client.get(reverse("platform:board")).status_code == 200
    assert client.get(reverse("platform:map_json")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["lead_handler", "dispatcher", "street_leader", "resident", "nobody"])
def test_other_roles_get_403(client, world, role):
    client.force_login(world.users[role])
    assert client.get(reverse("platform:board")).status_code == 403
    assert client.get(reverse("platform:map_json")).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login(client, world):
    for name in ("platform:board", "platform:map_json"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_another_districts_coordinator_does_not_see_this_district(client, world, overdue_lead):
    from tests.conftest import make_user

    new_demand(world, lat=40.145, lng=117.105)
    other = make_user("coordinator_cy", "district_coordinator", world.other_district)
    DivisionFactory(code="110105001000", name="朝外街道", level="street", parent=world.other_district)
    client.force_login(other)
    response = client.get(reverse("platform:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["district"] == world.other_district
    assert response.context["overdue"]["total"] == 0
    assert list(response.context["page"]) == []
    assert world.lead_unit.name not in html
    assert world.street_a.name not in html
    assert response.context["unit_workloads"] == []
    assert [s["name"] for s in response.context["street_workloads"]] == ["朝外街道"]
    assert response.context["hot"]["communities"] == []
    data = client.get(reverse("platform:map_json")).json()
    assert data["count"] == 0 and data["demands"] == []


@pytest.mark.django_db
def test_map_json_is_masked_and_lists_only_open_demands_with_coordinates(client, world):
    placed = new_demand(world, lat=40.145, lng=117.105, reporter_name=NAME, reporter_phone=PHONE)
    no_coords = new_demand(world, reporter_name=NAME, reporter_phone=PHONE)
    closed = new_demand(world, lat=40.146, lng=117.106)
    Demand.objects.filter(pk=closed.pk).update(state="called_back")
    old = new_demand(world, lat=40.147, lng=117.107)
    Demand.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=40))
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("platform:map_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    text = response.content.decode()
    for secret in (NAME, PHONE, "reporter", "address", placed.body):
        assert secret not in text
    data = response.json()
    ids = [d["id"] for d in data["demands"]]
    assert ids == [placed.pk]
    assert no_coords.pk not in ids and closed.pk not in ids and old.pk not in ids
    point = data["demands"][0]
    assert (point["lat"], point["lng"]) == (40.145, 117.105)
    assert point["code"] == placed.tracking_code
    assert data["capped"] is False


@pytest.mark.django_db
def test_map_is_capped_newest_first(world):
    demands = [new_demand(world, lat=40.14 + i / 1000, lng=117.10) for i in range(5)]
    data = selectors.map_points(world.users["coordinator"], world.district, cap=3)
    assert data["capped"] is True and data["count"] == 3
    assert [d["id"] for d in data["demands"]] == [d.pk for d in reversed(demands)][:3]


@pytest.mark.django_db
def test_workloads_and_hot_spots(world, overdue_lead):
    coordinator = world.users["coordinator"]
    new_demand(world)  # a second open demand of street A, not whistled
    units = {r["unit_id"]: r for r in selectors.unit_workloads(coordinator, world.district)}
    assert units[world.lead_unit.pk]["open"] == 1
    assert units[world.lead_unit.pk]["summoned"] == 1
    assert units[world.lead_unit.pk]["overdue"] == 1
    streets = {r["id"]: r for r in selectors.street_workloads(coordinator, world.district)}
    assert streets[world.street_a.pk]["open_demands"] == 2
    assert streets[world.street_a.pk]["open_whistles"] == 1
    assert streets[world.street_b.pk]["open_demands"] == 0
    Demand.objects.filter(street=world.street_a).update(community=world.community_a1, matter=world.matter)
    hot = selectors.hot_spots(coordinator, world.district)
    assert hot["communities"][0]["name"] == world.community_a1.name
    assert hot["communities"][0]["count"] == 2
    assert hot["communities"][0]["top_matter"] == world.matter.name


@pytest.mark.django_db
def test_board_query_count_is_bounded(client, world, django_assert_max_num_queries):
    for _ in range(6):
        _overdue(lead_of(blow(world, demands=[new_demand(world, lat=40.145, lng=117.105)])))
    sweep()
    client.force_login(world.users["coordinator"])
    client.get(reverse("platform:board"))  # warm the session and the per-user caches
    with django_assert_max_num_queries(23) as ctx:  # 21 + the key-task panel's list and totals
        response = client.get(reverse("platform:board"))
    assert response.status_code == 200
    assert response.context["overdue"]["total"] == 6
    few = len(ctx.captured_queries)
    for _ in range(6):
        _overdue(lead_of(blow(world, demands=[new_demand(world, lat=40.145, lng=117.105)])))
    with django_assert_max_num_queries(few) as ctx:
        response = client.get(reverse("platform:board"))
    assert response.context["overdue"]["total"] == 12
    with django_assert_max_num_queries(6):
        client.get(reverse("platform:map_json"))
