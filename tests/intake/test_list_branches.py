"""The street staff's demand list reads their streets' demands and the ones they created as two branches
(intake.selectors.BranchedDemands, for PostgreSQL's indexes at a province's scale): the same demands, newest
first, counted and paged as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from shaobao.intake.models import Demand
from shaobao.intake.selectors import BranchedDemands, list_for
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db


def spread(demands):
    """Distinct receipt times, oldest first as created, one also tied with its neighbour (id breaks it)."""
    base = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
    for i, d in enumerate(demands):
        Demand.objects.filter(pk=d.pk).update(received_at=base + dt.timedelta(hours=min(i, 5)))


def test_a_dispatcher_sees_the_same_demands_newest_first_in_pages(world, client):
    dispatcher = world.users["dispatcher"]
    own_street = [new_demand(world) for _ in range(5)]
    elsewhere_by_them = new_demand(
        world, actor=dispatcher, street_code=world.street_b.code, subject="路灯不亮", body="三天了"
    )
    elsewhere = new_demand(world, actor=world.users["dispatcher_b"], street_code=world.street_b.code)
    mine_in_street = new_demand(world, actor=dispatcher)
    spread([*own_street, elsewhere_by_them, elsewhere, mine_in_street])

    listed = list_for(dispatcher, Demand.objects.all())
    # PostgreSQL pages the two branches (SQLite cannot slice inside a UNION: one query there, as before).
    assert isinstance(listed, BranchedDemands) == (connection.vendor == "postgresql")
    expected = list(Demand.objects.visible_to(dispatcher).order_by("-received_at", "-id"))
    assert elsewhere not in expected and elsewhere_by_them in expected
    assert listed.count() == len(expected) == 7
    assert list(listed[0:7]) == expected
    assert list(listed[2:5]) == expected[2:5]
    assert listed[6] == expected[6]

    client.force_login(dispatcher)
    page = client.get(reverse("intake:demand_list")).context["page"]
    assert page.paginator.count == 7
    assert list(page.object_list) == expected
    filtered = client.get(reverse("intake:demand_list"), {"q": "路灯"}).context["page"]
    assert list(filtered.object_list) == [elsewhere_by_them]


def test_others_keep_the_one_query(world):
    assert not isinstance(list_for(world.users["coordinator"], Demand.objects.all()), BranchedDemands)
    assert not isinstance(list_for(world.users["lead_handler"], Demand.objects.all()), BranchedDemands)
