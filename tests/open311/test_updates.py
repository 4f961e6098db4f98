"""Request updates as FixMyStreet's Open311 extension reads them (`servicerequestupdates`), fed from the
public steps of the tracking page, without personal data; and the reverse: a client's update lands on
the demand as a resident follow-up the street's dispatchers see (timeline event + bell)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from shaobao.core.models import Event, Notification
from shaobao.intake import actions as intake
from shaobao.intake.selectors import track
from tests.intake.flow import blow, demand_in, fed_back, new_demand
from tests.open311.conftest import assert_open311_error, both, parsed, post

pytestmark = pytest.mark.django_db


def test_updates_are_the_public_steps_of_the_tracking_page(world):
    demand = new_demand(world)
    d = intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )
    intake.do_finish_self_handling(
        actor=world.users["section_handler"], demand_id=d.pk, note="已处理，张三13812345678确认"
    )
    intake.do_verify_self_handling(
        actor=world.users["dispatcher"], demand_id=d.pk, passed=True, note="核查：张三满意"
    )
    updates = both("servicerequestupdates", "service_request_updates")
    mine = [u for u in updates if u["service_request_id"] == demand.tracking_code]
    steps = track(demand.tracking_code)["steps"]
    assert len(mine) == len(steps)
    at = dt.datetime.fromisoformat
    assert [at(u["updated_datetime"]) for u in mine] == [at(s["at"]).replace(microsecond=0) for s in steps]
    assert [u["status"] for u in mine] == ["open", "open", "open", "closed"]
    assert mine[0]["description"] == steps[0]["label"]
    assert steps[2]["reply"] in mine[2]["description"]
    assert set(mine[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "description",
        "updated_datetime",
        "media_url",
    }
    assert len({u["update_id"] for u in updates}) == len(updates)
    text = json.dumps(updates, ensure_ascii=False)
    for secret in ("张三", "13812345678", "张三满意", "满意", "承平里3号楼", "小区内私搭乱建", "3号楼楼顶"):
        assert secret not in text  # no names, phones, internal notes, addresses or the body


def test_whistle_feedback_is_an_update(world):
    demand = demand_in(world, "received")
    fed_back(world, blow(world, [demand]))
    mine = [
        u
        for u in both("servicerequestupdates", "service_request_updates")
        if u["service_request_id"] == demand.tracking_code
    ]
    assert any("违建已拆除" in u["description"] for u in mine)


def test_start_and_end_date_and_paging(world):
    demand_in(world, "received")
    demand_in(world, "received")
    assert (
        both(
            "servicerequestupdates",
            "service_request_updates",
            {"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-01-02T00:00:00Z"},
        )
        == []
    )
    every = both("servicerequestupdates", "service_request_updates")
    assert len(every) == 2
    first = both("servicerequestupdates", "service_request_updates", {"page_size": "1"})
    second = both("servicerequestupdates", "service_request_updates", {"page_size": "1", "page": "2"})
    assert first + second == every
    assert_open311_error(Client().get("/open311/v2/servicerequestupdates.xml", {"start_date": "soon"}), 400)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_clients_update_is_a_follow_up_the_dispatcher_sees(
    world, api_key, fmt, django_capture_on_commit_callbacks
):
    demand = demand_in(world, "closed")
    data = {
        "api_key": api_key("resident"),
        "service_request_id": demand.tracking_code,
        "update_id": "fms-77",
        "description": "还是没拆，楼顶仍有违建",
        "status": "OPEN",
        "first_name": "三",
        "last_name": "张",
        "email": "zhang@example.com",
        "updated_datetime": "2024-05-02T10:00:00Z",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post("servicerequestupdates", data, fmt)
    assert response.status_code == 201, response.content
    [answer] = parsed(response, "service_request_updates")
    event = Event.objects.get(action="resident_follow_up")
    assert answer == {"update_id": str(event.pk)}
    assert (event.subject_id, event.actor, event.note) == (
        demand.pk,
        world.users["resident"],
        "还是没拆，楼顶仍有违建",
    )
    assert event.data["client_update_id"] == "fms-77"
    assert "zhang@example.com" not in json.dumps(event.data) and "张" not in json.dumps(event.data)
    bell = Notification.objects.filter(user=world.users["dispatcher"], text__contains="还是没拆").first()
    assert bell is not None and demand.tracking_code in bell.text and "还是没拆" in bell.text
    assert not Notification.objects.filter(
        user=world.users["dispatcher_b"], text__contains="还是没拆"
    ).exists()
    demand.refresh_from_db()
    assert demand.state == "closed"  # reopening stays the dispatcher's decision
    # sent again (a client retrying): the same update, nothing new
    again = post("servicerequestupdates", data, fmt)
    assert again.status_code == 200
    assert parsed(again, "service_request_updates") == [{"update_id": str(event.pk)}]
    assert Event.objects.filter(action="resident_follow_up").count() == 1
    # the follow-up is for staff: it is not a public step
    assert all(
        "还是没拆" not in u["description"] for u in both("servicerequestupdates", "service_request_updates")
    )


def test_follow_up_on_an_unplaced_demand_reaches_the_coordinators(
    world, api_key, django_capture_on_commit_callbacks
):
    demand = new_demand(world, street_code=None, address="某处", actor=world.users["coordinator"])
    assert demand.street is None
    data = {"api_key": api_key("resident"), "service_request_id": demand.tracking_code, "description": "还在"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("servicerequestupdates", data).status_code == 201
    assert Notification.objects.filter(user=world.users["coordinator"], text__contains="还在").exists()


def test_bad_updates(world, api_key):
    demand = demand_in(world, "received")
    key = api_key("resident")
    no_key = {"service_request_id": demand.tracking_code, "description": "x"}
    assert_open311_error(post("servicerequestupdates", no_key), 403)
    unknown = {"api_key": key, "service_request_id": "SB000000XXXXX", "description": "x"}
    assert_open311_error(post("servicerequestupdates", unknown), 404)
    empty = {"api_key": key, "service_request_id": demand.tracking_code, "description": ""}
    assert "description" in assert_open311_error(post("servicerequestupdates", empty), 400)
    assert not Event.objects.filter(action="resident_follow_up").exists()
