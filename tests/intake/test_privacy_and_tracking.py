"""The reporter's personal data: masked for everyone, revealed (and logged) only for those who call back;
the public tracking view shows progress and replies, never personal data."""

from __future__ import annotations

import json

import pytest

from shaobao.core.errors import Forbidden, NotFound
from shaobao.core.models import Event, PersonalDataAccess
from shaobao.intake import actions as intake
from shaobao.intake.privacy import mask_name, mask_phone, reporter_for
from shaobao.intake.selectors import track
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, fed_back, new_demand

pytestmark = pytest.mark.django_db


def test_masks():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


@pytest.mark.parametrize(
    "who", ["lead_handler", "supporting_handler", "grid_worker", "street_leader", "dispatcher"]
)
def test_masked_by_default_for_every_role(world, who):
    d = new_demand(world)
    shown = reporter_for(world.users[who], d)
    assert shown["name"] == "张*" and shown["phone"] == "138****5678" and shown["masked"]


@pytest.mark.parametrize("who", ["dispatcher", "coordinator", "admin"])
def test_reveal_for_those_who_call_back_is_logged(world, who):
    d = new_demand(world)
    shown = reporter_for(world.users[who], d, reveal=True)
    assert shown == {"name": "张三", "phone": "13812345678", "masked": False, "may_reveal": True}
    log = PersonalDataAccess.objects.get()
    assert log.user == world.users[who] and log.subject_id == d.pk
    assert Event.objects.filter(action="reveal_reporter", subject_id=d.pk, actor=world.users[who]).exists()


@pytest.mark.parametrize("who", ["lead_handler", "street_leader", "grid_worker", "dispatcher_b"])
def test_reveal_refused_for_other_roles(world, who):
    d = new_demand(world)
    with pytest.raises(Forbidden):
        reporter_for(world.users[who], d, reveal=True)
    assert not PersonalDataAccess.objects.exists()


def test_public_tracking_shows_progress_and_replies_without_personal_data(world):
    d = new_demand(world)
    whistle = fed_back(world, blow(world, [d]))
    wf.do_verify(
        actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True, note="已核查，张三表示认可"
    )
    view = track(d.tracking_code.lower())
    assert view["state"] == "closed"
    steps = [s["step"] for s in view["steps"]]
    assert (
        steps[0] == "receive"
        and "blow_whistle" in steps
        and "feed_back" in steps
        and "whistle_closed" in steps
    )
    text = json.dumps(view, ensure_ascii=False, default=str)
    assert "张三" not in text and "13812345678" not in text and "138****5678" not in text
    assert "违建已拆除" in text  # the lead unit's reply
    with pytest.raises(NotFound):
        track("SB000000XXXXX")


def test_merged_demand_points_to_the_one_it_follows(world):
    a, b = new_demand(world), new_demand(world)
    intake.do_merge(actor=world.users["dispatcher"], demand_id=a.pk, into_id=b.pk)
    assert track(a.tracking_code)["merged_into"] == b.tracking_code
