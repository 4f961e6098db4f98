"""Hotline demands placed from their words: coordinates → street given → address → text, with the source,
the confidence, and the candidates of an ambiguous text for the coordinator to pick in one click."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from shaobao.core.models import Event
from shaobao.intake import actions as intake
from shaobao.intake.models import Demand
from shaobao.org import places
from shaobao.org.models import GazetteerEntry
from tests.factories import DivisionFactory
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(world):
    """A township with a village, named like the real Pinggu ones, and a road crossing two streets."""
    yuyang = DivisionFactory(code="110117003000", name="渔阳地区", level="street", parent=world.district)
    hanzhuang = DivisionFactory(code="110117003201", name="韩庄村", level="community", parent=yuyang)
    for street in (world.street_a, world.street_b):
        GazetteerEntry.objects.create(name="新平北路", kind="road", street=street)
    GazetteerEntry.objects.create(
        name="平谷万达广场", aliases="万达广场 万达", kind="landmark", street=world.street_b
    )
    return {"yuyang": yuyang, "hanzhuang": hanzhuang}


def hotline(world, *, address="", body, street_code=None, lat=None, lng=None):
    return intake.do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="来电反映",
        body=body,
        address=address,
        street_code=street_code,
        lat=lat,
        lng=lng,
    )


def test_the_order_is_coordinates_street_given_address_then_text(world, town):
    d = hotline(world, lat=40.145, lng=117.105, address="韩庄村", body="万达门口有人摆摊")
    assert (d.street, d.grid, d.placement_source, d.placement_confidence) == (
        world.street_a,
        world.grid_a1,
        "coordinates",
        1.0,
    )
    d = hotline(world, street_code=world.street_b.code, address="韩庄村", body="兴谷社区门口")
    assert (d.street, d.community, d.placement_source) == (world.street_b, world.community_b1, "street_code")
    d = hotline(world, address="渔阳镇韩庄村东口", body="万达门口有人摆摊")
    assert (d.street, d.community, d.placement_source) == (town["yuyang"], town["hanzhuang"], "address")
    assert 0 < d.placement_confidence <= 1
    d = hotline(world, address="3号楼", body="平谷万达广场北门有人摆摊")
    assert (d.street, d.community, d.placement_source) == (world.street_b, None, "text")
    d = hotline(world, body="楼下有人摆摊")
    assert (d.street, d.placement_source, d.placement_candidates) == (None, "", [])


@pytest.mark.parametrize(
    "body",
    ["韩庄那边路灯坏了", "韩庄村委会门口垃圾没人清", "韓莊村路燈壞了", "韩装村的路灯坏了", "渔阳乡韩庄"],
)
def test_a_village_without_its_township_and_variants_are_found(world, town, body):
    d = hotline(world, body=body)
    assert (d.street, d.community, d.placement_source) == (town["yuyang"], town["hanzhuang"], "text")


def test_a_community_written_as_an_estate_and_a_street_without_its_suffix(world, town):
    d = hotline(world, body="滨河街承平里小区3号楼漏水")
    assert (d.street, d.community) == (world.street_a, world.community_a1)


def test_a_road_crossing_two_streets_goes_to_the_coordinator_with_both(world, town):
    d = hotline(world, body="新平北路上有人占道经营")
    assert d.street is None and d.placement_source == ""
    assert d.placement_confidence == 0.0
    assert {c["street_code"] for c in d.placement_candidates} == {world.street_a.code, world.street_b.code}
    assert all(c["words"] == ["新平北路"] for c in d.placement_candidates)
    event = Event.objects.get(subject_id=d.pk, action="receive")
    assert event.data["candidates"] == 2
    # The text naming the street too settles it: no question for the coordinator.
    d = hotline(world, body="兴谷街道新平北路上有人占道经营")
    assert d.street == world.street_b and d.placement_source == "text" and d.placement_candidates == []


def test_gazetteer_edits_take_effect_at_once(world, town):
    assert hotline(world, body="绿地公园门口积水").street is None
    entry = GazetteerEntry.objects.create(name="绿地公园", kind="landmark", street=world.street_a)
    assert hotline(world, body="绿地公园门口积水").street == world.street_a
    entry.street = world.street_b
    entry.save()
    assert hotline(world, body="绿地公园门口积水").street == world.street_b
    entry.is_active = False
    entry.save()
    assert hotline(world, body="绿地公园门口积水").street is None


def test_another_process_sees_an_edit_within_the_recheck_interval(world, town, monkeypatch):
    """No signal reaches another server process: its index notices the changed stamp."""
    places.index_for(world.district)
    monkeypatch.setattr(places, "RECHECK_SECONDS", 0.0)
    GazetteerEntry.objects.bulk_create(
        [GazetteerEntry(name="绿地公园", kind="landmark", street=world.street_a)]
    )
    time.sleep(0.01)
    assert places.guess_place(world.district, "绿地公园").street_id == world.street_a.pk


def test_the_coordinator_picks_a_candidate_in_one_click(world, town):
    d = hotline(world, body="新平北路上有人占道经营")
    client = Client()
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("whistles:inbox_items"), {"section": "unplaced"})
    html = page.content.decode()
    assert d.tracking_code in html
    assert (
        f'data-candidate="{world.street_b.code}"' in html
        and f'data-candidate="{world.street_a.code}"' in html
    )
    detail = client.get(reverse("intake:demand_detail", args=[d.pk])).content.decode()
    assert f'data-candidate="{world.street_b.code}"' in detail
    answer = client.post(
        reverse("intake:correct_placement", args=[d.pk]),
        {"street_code": world.street_b.code, "community_code": ""},
    )
    assert answer.status_code in (200, 302, 303)
    d.refresh_from_db()
    assert (d.street, d.placement_source, d.placement_confidence, d.placement_candidates) == (
        world.street_b,
        "manual",
        1.0,
        [],
    )
    event = Event.objects.get(subject_id=d.pk, action="correct_placement")
    assert event.actor == world.users["coordinator"] and event.data["after"]["picked_candidate"] is True
    page = client.get(reverse("whistles:inbox_items"), {"section": "unplaced"}).content.decode()
    assert d.tracking_code not in page


def test_a_street_dispatcher_sees_no_pick_on_a_demand_outside_reach(world, town):
    d = hotline(world, body="新平北路上有人占道经营")
    client = Client()
    client.force_login(world.users["dispatcher"])
    answer = client.post(
        reverse("intake:correct_placement", args=[d.pk]), {"street_code": world.street_a.code}
    )
    d.refresh_from_db()
    assert answer.status_code in (403, 404) and d.street is None


def test_existing_demands_flow_keeps_its_street_code(world):
    d = new_demand(world)  # the channel gives the street: the text only adds the community
    assert (
        d.street == world.street_a
        and d.community == world.community_a1
        and d.placement_source == "street_code"
    )
    assert Demand.objects.filter(placement_source="street_code").count() == 1
