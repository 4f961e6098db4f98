"""The key-task pages: who sees what (403 for accountability outside the district), progress from the
task page, picking a topic with its confirmation page, the topic page's chart data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shaobao.keytasks import actions
from shaobao.keytasks.models import Topic
from tests.keytasks.conftest import demand

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_lists_and_task_page_and_progress(world, make_task):
    task = make_task(now=timezone.now(), days_ahead=20)
    handler = client_for(world.users["lead_handler"])
    r = handler.get("/key-tasks/", {"q": "电梯"})
    assert r.status_code == 200 and "老旧小区加装电梯" in r.content.decode()
    assert "老旧小区加装电梯" not in handler.get("/key-tasks/", {"q": "不存在"}).content.decode()
    page = handler.get(f"/key-tasks/{task.pk}/").content.decode()
    assert 'name="percent"' in page
    r = handler.post(f"/key-tasks/{task.pk}/progress/", {"note": "进展", "percent": "50"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.progress == 50
    r = handler.post(f"/key-tasks/{task.pk}/progress/", {"note": "", "percent": "60"})
    assert r.status_code == 400
    assert client_for(world.users["resident"]).get("/key-tasks/").status_code == 403
    assert client_for(world.users["outsider"]).get(f"/key-tasks/{task.pk}/").status_code == 404


def test_new_task_refuses_a_past_deadline(world):
    c = client_for(world.users["coordinator"])
    r = c.post("/key-tasks/new/", {"title": "x", "lead_unit": "CGZF", "deadline": "2020-01-01"})
    assert r.status_code == 400
    assert client_for(world.users["lead_handler"]).get("/key-tasks/new/").status_code == 403


def test_topic_pages(world):
    month = timezone.localtime().replace(day=1) - dt.timedelta(days=1)
    for i in range(3):
        demand(world, month.replace(day=1 + i, hour=9), community=world.community_a1)
    c = client_for(world.users["coordinator"])
    r = c.get("/key-tasks/topics/", {"month": f"{month:%Y-%m}"})
    assert r.status_code == 200 and 'id="topic-candidates"' in r.content.decode()
    assert (
        "topic_choose" not in r.content.decode() and "/key-tasks/topics/choose/?month=" in r.content.decode()
    )
    confirm = c.get(
        "/key-tasks/topics/choose/",
        {"month": f"{month:%Y-%m}", "matter": "CG-001", "street": world.street_a.code},
    )
    assert confirm.status_code == 200 and "data-confirm" in confirm.content.decode()
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    r = c.post("/key-tasks/topics/choose/", {"month": f"{month:%Y-%m}", "matter": "CG-001", "street": world.street_a.code,
                                             "lead_unit": "CGZF", "measures": "整治", "deadline": deadline})  # fmt: skip
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/key-tasks/topics/{topic.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert 'id="topic-series"' in page and "chart-before-after" in page
    # the chosen candidate links to its topic instead of offering a pick that could only be refused
    listed = c.get("/key-tasks/topics/", {"month": f"{month:%Y-%m}"}).content.decode()
    assert f'href="/key-tasks/topics/{topic.pk}/" class="tag"' in listed
    assert f"street={world.street_a.code}&amp;community=&amp;" not in listed
    for name in ("dispatcher", "lead_handler"):
        assert client_for(world.users[name]).get("/key-tasks/topics/").status_code == 403


def test_accountability_pages_are_district_only(world, make_task):
    task = make_task(days_ahead=3)
    from shaobao.keytasks import supervision

    supervision.sweep(task.deadline)
    referral = actions.do_refer(
        actor=world.users["coordinator"], kind="overdue_task", key_task=task.pk, reason="逾期",
        now=task.deadline + dt.timedelta(days=30),
    )  # fmt: skip
    c = client_for(world.users["coordinator"])
    assert c.get("/key-tasks/accountability/").status_code == 200
    assert c.get(f"/key-tasks/accountability/{referral.pk}/").status_code == 200
    for name in ("dispatcher", "street_leader", "lead_handler", "lead_leader"):
        other = client_for(world.users[name])
        assert other.get("/key-tasks/accountability/").status_code == 403
        assert other.get(f"/key-tasks/accountability/{referral.pk}/").status_code == 403
    r = c.post(f"/key-tasks/accountability/{referral.pk}/decide/", {"decision": "criticism", "note": "通报"})
    assert r.status_code == 302


def test_overdue_key_tasks_show_on_the_coordination_board(world, make_task):
    long_ago = timezone.now() - dt.timedelta(days=40)
    make_task(now=long_ago, days_ahead=3, title="背街小巷整治")
    make_task(now=timezone.now(), days_ahead=30, title="老旧小区加装电梯")
    page = client_for(world.users["coordinator"]).get("/platform/").content.decode()
    panel = page[page.index('id="key-tasks-overdue"') :]
    panel = panel[: panel.index("</section>")]
    assert "背街小巷整治" in panel and "老旧小区加装电梯" not in panel
    assert 'href="/key-tasks/?state=overdue"' in panel
