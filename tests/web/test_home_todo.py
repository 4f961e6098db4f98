"""The home page is each role's to-do dashboard; its counts, deadlines and links agree with the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shaobao.core.calendar import add_working_hours, local_tz, working_hours_between
from shaobao.intake.actions import do_receive_demand
from shaobao.intake.models import Demand
from shaobao.whistles.deadlines import step_limit_hours
from shaobao.whistles.models import Summons
from shaobao.whistles.todo import todo_for

pytestmark = pytest.mark.django_db


def _tile(tiles, key):
    return next(t for t in tiles if t["key"] == key)


def _receive(world, subject="路灯不亮", **kw):
    return do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject=subject,
        body=subject,
        street_code=world.street_a.code,
        **kw,
    )


def test_visitor_at_home_sees_report_and_track(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("intake:public_form") in html
    assert f'action="{reverse("intake:track_lookup")}"' in html
    assert 'name="code"' in html


def test_track_box_leads_to_the_tracking_page(client, world):
    demand = _receive(world)
    page = client.get(reverse("intake:track_lookup"), {"code": demand.tracking_code}, follow=True)
    assert page.status_code == 200
    assert demand.tracking_code in page.content.decode()


def test_working_hours_skip_rest_days():
    tz = local_tz()
    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=tz)
    monday = add_working_hours(friday, 24)
    assert monday == dt.datetime(2026, 12, 7, 10, 0, tzinfo=tz)
    assert working_hours_between(friday, monday) == 24
    assert working_hours_between(monday, friday) == -24
    assert add_working_hours(monday, -24) == friday


def test_dispatcher_counts_triage_with_time_left(world):
    now = timezone.now()
    d1 = _receive(world)
    _receive(world, "垃圾满溢")
    _receive(world, "井盖缺失")
    old = add_working_hours(now, -(step_limit_hours("triage") + 2))  # two working hours late
    Demand.objects.filter(pk=d1.pk).update(received_at=old)
    tiles = todo_for(world.users["dispatcher"], now=now)
    triage = _tile(tiles, "to_triage")
    assert triage["count"] == 3
    assert triage["overdue"] == 1
    assert triage["hours_left"] == pytest.approx(-2, abs=0.1)
    assert triage["due_today"] + triage["overdue"] <= 3
    assert triage["url"].endswith("?section=to_triage")


def test_dispatcher_links_filter_the_inbox_the_same_way(client, world):
    now = timezone.now()
    late = _receive(world, "井盖缺失")
    _receive(world, "噪音扰民")
    Demand.objects.filter(pk=late.pk).update(
        received_at=add_working_hours(now, -(step_limit_hours("triage") + 1))
    )
    client.force_login(world.users["dispatcher"])
    tile = _tile(todo_for(world.users["dispatcher"], now=now), "to_triage")
    page = client.get(tile["overdue_url"]).content.decode()
    assert late.tracking_code in page and "噪音扰民" not in page
    page = client.get(tile["url"]).content.decode()
    assert late.tracking_code in page and "噪音扰民" in page


def test_unit_handler_sees_report_in_with_its_deadline(world, whistle):
    handler = world.users["lead_handler"]
    summons = Summons.objects.get(whistle=whistle, unit=world.lead_unit)
    tiles = todo_for(handler)
    tile = _tile(tiles, "to_report_in")
    assert tile["count"] == 1
    assert tile["due"] == summons.report_in_due
    assert tile["hours_left"] > 0
    assert {"in_progress", "assigned_demands", "unit_overdue", "extension_answers"} <= {
        t["key"] for t in tiles
    }
    # the dispatcher who blew it has nothing of the unit's
    assert "to_report_in" not in {t["key"] for t in todo_for(world.users["dispatcher"])}


def test_report_in_time_left_runs_on_the_clock_over_rest_days(client, world, whistle):
    # report-in limits are minutes on the clock: a deadline at 02:00 on a Saturday is two hours away at
    # midnight, not "0 working hours" away
    tz = timezone.get_current_timezone()
    saturday_2am = dt.datetime(2026, 12, 5, 2, 0, tzinfo=tz)
    Summons.objects.filter(whistle=whistle, unit=world.lead_unit).update(report_in_due=saturday_2am)
    handler = world.users["lead_handler"]
    tile = _tile(todo_for(handler, now=saturday_2am - dt.timedelta(hours=2)), "to_report_in")
    assert (tile["hours_left"], tile["working_hours"]) == (2.0, False)
    late = _tile(todo_for(handler, now=saturday_2am + dt.timedelta(hours=30)), "to_report_in")
    assert late["hours_left"] == -30.0 and late["overdue"] == 1
    # a finish deadline still counts working hours
    assert _tile(todo_for(handler), "in_progress")["working_hours"] is True


def test_unit_due_today_and_overdue(world, whistle):
    now = timezone.now()
    summons = Summons.objects.get(whistle=whistle, unit=world.lead_unit)
    Summons.objects.filter(pk=summons.pk).update(report_in_due=now - dt.timedelta(minutes=5))
    tiles = todo_for(world.users["lead_handler"], now=now)
    assert _tile(tiles, "to_report_in")["overdue"] == 1
    assert _tile(tiles, "unit_overdue")["count"] == 1


def test_coordinator_tiles(world, whistle):
    Summons.objects.filter(whistle=whistle, unit=world.lead_unit).update(state="disputed")
    do_receive_demand(actor=None, channel="resident_web", kind="complaint", subject="无处可放", body="某处")
    tiles = todo_for(world.users["coordinator"])
    keys = [t["key"] for t in tiles]
    assert keys[:4] == ["disputes", "extensions", "overdue", "unplaced"]
    assert _tile(tiles, "disputes")["count"] == 1
    assert _tile(tiles, "unplaced")["count"] == 1


def test_grid_worker_and_resident_see_their_own_reports(client, world):
    for role in ("grid_worker", "resident"):
        client.force_login(world.users[role])
        page = client.get("/")
        assert page.status_code == 200
        assert 'data-key="my_demands"' in page.content.decode()
        assert reverse("intake:public_form") in page.content.decode()


@pytest.mark.parametrize("role", ["dispatcher", "lead_handler", "coordinator", "street_leader"])
def test_home_page_shows_the_tiles(client, world, whistle, role):
    client.force_login(world.users[role])
    html = client.get("/").content.decode()
    for tile in todo_for(world.users[role]):
        assert f'data-key="{tile["key"]}"' in html
        assert tile["url"].replace("&", "&amp;") in html


def test_home_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    """One aggregate per tile: the count of queries does not depend on how many items there are."""
    client.force_login(world.users["dispatcher"])
    _receive(world)
    with django_assert_max_num_queries(30) as ctx:
        client.get("/")
    few = len(ctx.captured_queries)
    for i in range(15):
        _receive(world, f"问题{i}")
    with django_assert_max_num_queries(few):
        client.get("/")


def test_api_todo_returns_the_same_counts(client, world, whistle):
    client.force_login(world.users["lead_handler"])
    answer = client.get("/api/v1/me/todo")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    expected = {t["key"]: t["count"] for t in todo_for(world.users["lead_handler"])}
    assert {t["key"]: t["count"] for t in body["tiles"]} == expected
    assert body["tiles"][0]["hours_left"] is not None


def test_api_todo_needs_a_login(client):
    assert client.get("/api/v1/me/todo").status_code == 401


def test_resident_home_lists_own_demands_with_tracking_links(client, world):
    demand = do_receive_demand(
        actor=world.users["resident"],
        channel="resident_web",
        kind="complaint",
        subject="楼道堆物",
        body="楼道堆物",
        street_code=world.street_a.code,
    )
    client.force_login(world.users["resident"])
    html = client.get("/").content.decode()
    assert reverse("intake:track", args=[demand.tracking_code]) in html
    assert reverse("whistles:inbox") not in html  # a staff page: no link to it


def test_api_todo_refuses_a_user_without_a_role(client, world):
    client.force_login(world.users["nobody"])
    assert client.get("/api/v1/me/todo").status_code == 403
