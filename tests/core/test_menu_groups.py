"""The top bar's groups: the lists and the forces pages under one heading each, a group of one entry shown as
that entry, the group placed where its first entry stands."""

from __future__ import annotations

import pytest

from shaobao.core.navigation import menu_for

pytestmark = pytest.mark.django_db


def _shape(menu):
    return [(str(e["label"]), [s["name"] for s in e["items"]]) if e.get("group") else e["name"] for e in menu]


def test_the_coordinator_sees_the_lists_and_the_forces_as_two_groups(world):
    menu = menu_for(world.users["coordinator"])
    shape = _shape(menu)
    groups = {e["key"]: e["names"] for e in menu if e.get("group")}
    assert groups["lists"] == [
        "admission:catalogue",
        "powers:power_list",
        "powers:street_powers",
        "keytasks:list",
        "keytasks:topics",
        "keytasks:referrals",
    ]
    assert groups["forces"] == [
        "forces:deployment_list",
        "checkin:members",
        "workteams:team_list",
        "households:grids",
    ]
    assert groups["coordination"][0] == "platform:board" and "hotline:upload" in groups["coordination"]
    flat = [e for e in shape if isinstance(e, str)]
    assert "home" in flat and "intake:demand_list" in flat
    assert not set(flat) & {n for names in groups.values() for n in names}  # each page once
    assert len(menu) <= 10  # the top bar stays short


def test_a_member_of_one_group_entry_sees_a_plain_entry(world):
    from tests.conftest import make_user

    cadre = make_user("cadre_only", "deployed_cadre", world.community_a1)
    names = [e.get("name") for e in menu_for(cadre)]
    assert "workteams:team_list" in names and "forces:me" in names
    assert not any(e.get("group") for e in menu_for(cadre))


def test_the_group_is_a_details_dropdown_and_marks_the_current_page(client, world):
    client.force_login(world.users["coordinator"])
    html = client.get("/key-tasks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<details class="menu-group" id="menu-lists"><summary class="active">Lists</summary>' in html
    assert '<details class="menu-group" id="menu-forces"><summary class="">Forces</summary>' in html
    zh = client.get("/key-tasks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">清单</summary>" in zh and ">力量下沉</summary>" in zh
