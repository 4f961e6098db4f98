"""/api/v1/key-tasks and /api/v1/topics: lists, create with 400s naming the field (nothing written),
progress, candidates, choose; permissions as on the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shaobao.keytasks.models import KeyTask, ProgressReport, Topic
from tests.api.conftest import assert_error
from tests.keytasks.conftest import demand

pytestmark = pytest.mark.django_db


def _future(days=30) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _body(**kw):
    body = {"title": "背街小巷整治", "lead_unit": "CGZF", "participating_units": ["ZJW"], "deadline": _future(),
            "milestones": [{"title": "摸底", "due": _future(5)}]}  # fmt: skip
    body.update(kw)
    return body


def test_create_list_and_report_progress(world, api_as):
    r = api_as("coordinator").post("/api/v1/key-tasks", _body())
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["lead_unit"] == "CGZF" and task["participating_units"] == ["ZJW"] and not task["overdue"]
    listed = api_as("lead_handler").get("/api/v1/key-tasks", {"unit": "ZJW", "state": "open"}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == task["id"]
    assert api_as("lead_handler").get("/api/v1/key-tasks", {"q": "不存在"}).json()["count"] == 0
    r = api_as("lead_handler").post(
        f"/api/v1/key-tasks/{task['id']}/progress",
        {"note": "已摸底", "percent": 30, "milestone": task["milestones"][0]["id"]},
    )
    assert r.status_code == 201, r.content
    assert r.json()["percent"] == 30
    r = api_as("supporting_handler").post(
        f"/api/v1/key-tasks/{task['id']}/progress", {"note": "x", "percent": 50}
    )
    assert assert_error(r, 400)["fields"] == {"percent": "lead_unit_only"}
    assert ProgressReport.objects.count() == 1
    reports = api_as("supporting_handler").get(f"/api/v1/key-tasks/{task['id']}/progress").json()
    assert reports["count"] == 1 and reports["results"][0]["note"] == "已摸底"
    assert reports["results"][0]["unit"] == "CGZF" and reports["results"][0]["percent"] == 30
    assert_error(api_as("outsider").get(f"/api/v1/key-tasks/{task['id']}/progress"), 404)


def test_a_key_task_shows_its_warning_and_supervision_order(world, api_as):
    from shaobao.keytasks import supervision

    task = api_as("coordinator").post("/api/v1/key-tasks", _body(deadline=_future(4))).json()
    assert task["supervision"] == []
    supervision.sweep(timezone.now() + dt.timedelta(days=10))  # past the 75 % mark and the deadline
    got = api_as("lead_handler").get(f"/api/v1/key-tasks/{task['id']}").json()
    assert got["overdue"] is False  # by the real clock it is not overdue yet; the sweep ran ahead
    assert [o["kind"] for o in got["supervision"]] == ["supervision"]
    listed = api_as("lead_handler").get("/api/v1/key-tasks").json()["results"][0]
    assert listed["supervision"][0]["resolved_at"] is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"lead_unit": "NOPE"}, "lead_unit"),
        ({"participating_units": ["NOPE"]}, "participating_units"),
        ({"deadline": None}, "deadline"),
    ],
)
def test_create_errors_name_the_field_and_write_nothing(world, api_as, change, field):
    r = api_as("coordinator").post("/api/v1/key-tasks", _body(**change))
    assert field in assert_error(r, 400)["fields"]
    assert KeyTask.objects.count() == 0


def test_every_bad_field_is_named_at_once(world, api_as):
    bad = _body(
        title=" ", deadline="2020-01-01", lead_unit="NOPE", participating_units=["ZJW", "GONE"], area=999
    )
    fields = assert_error(api_as("coordinator").post("/api/v1/key-tasks", bad), 400)["fields"]
    assert set(fields) == {"title", "deadline", "lead_unit", "participating_units", "area"}
    assert "GONE" in fields["participating_units"] and "ZJW" not in fields["participating_units"]
    assert KeyTask.objects.count() == 0


def test_permissions(world, api_as, anon):
    assert_error(api_as("lead_handler").post("/api/v1/key-tasks", _body()), 403)
    assert_error(anon.get("/api/v1/key-tasks"), 401)
    assert_error(api_as("resident").get("/api/v1/key-tasks"), 403)
    assert_error(api_as("dispatcher").get("/api/v1/topics/candidates"), 403)
    assert_error(api_as("coordinator").get("/api/v1/topics/candidates", {"month": "2026-13"}), 400)


def test_topic_candidates_and_choose(world, api_as):
    month = timezone.localtime().replace(day=1) - dt.timedelta(days=1)
    for i in range(4):
        demand(world, month.replace(day=1 + i, hour=10), community=world.community_a1, phone="13900000009")
    r = api_as("coordinator").get("/api/v1/topics/candidates", {"month": f"{month:%Y-%m}"})
    assert r.status_code == 200, r.content
    top = r.json()["frequent"][0]
    assert (top["count"], top["repeat_callers"], top["matter_code"]) == (4, 1, "CG-001")
    body = {"month": f"{month:%Y-%m}", "matter": "CG-001", "street": top["street_code"], "lead_unit": "CGZF",
            "measures": "联合整治", "deadline": _future()}  # fmt: skip
    bad = api_as("coordinator").post("/api/v1/topics", {**body, "deadline": "2020-01-01"})
    assert assert_error(bad, 400)["fields"] == {"deadline": "in_the_past"}
    assert Topic.objects.count() == 0 and KeyTask.objects.count() == 0
    r = api_as("coordinator").post("/api/v1/topics", body)
    assert r.status_code == 201, r.content
    assert r.json()["key_task"]["lead_unit"] == "CGZF" and r.json()["figures"]["count"] == 4
    assert_error(api_as("coordinator").post("/api/v1/topics", body), 409)
    again = api_as("coordinator").get("/api/v1/topics/candidates", {"month": f"{month:%Y-%m}"}).json()
    assert again["frequent"][0]["topic"] == r.json()["id"]
    assert top["topic"] is None
    assert api_as("lead_handler").get("/api/v1/topics").json()["count"] == 1


def test_a_retried_create_with_the_same_key_answers_the_first_task(world, api_as):
    from shaobao.keytasks.models import KeyTask

    api = api_as("coordinator")
    first = api.post("/api/v1/key-tasks", _body(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = api.post("/api/v1/key-tasks", _body(), **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert KeyTask.objects.count() == 1
