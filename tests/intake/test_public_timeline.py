"""The public timeline (tracking page, GET /api/v1/track/{code}, Open311 request reads) shows what is
meant for the public, each step once: replies of the handling unit, never the verification note."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from shaobao.intake import actions as intake
from shaobao.intake.selectors import track
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, fed_back, lead_of, new_demand

pytestmark = pytest.mark.django_db

INTERNAL = "内部核查意见：现场照片不清楚，科员李四复核"


def public_texts(code: str) -> dict[str, str]:
    client = Client()
    return {
        "page_zh": client.get(
            reverse("intake:track", args=[code]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode(),
        "api": json.dumps(client.get(f"/api/v1/track/{code}").json(), ensure_ascii=False),
        "open311": json.dumps(client.get(f"/open311/v2/requests/{code}.json").json(), ensure_ascii=False),
    }


def test_verification_note_of_a_self_handled_demand_stays_internal(world):
    u = world.users
    d = new_demand(world)
    intake.do_self_handle(actor=u["dispatcher"], demand_id=d.pk, unit_code=world.section_a.code)
    intake.do_finish_self_handling(actor=u["section_handler"], demand_id=d.pk, note="垃圾已清运完毕")
    intake.do_verify_self_handling(actor=u["dispatcher"], demand_id=d.pk, passed=True, note=INTERNAL)
    for where, text in public_texts(d.tracking_code).items():
        assert "内部核查意见" not in text and "李四" not in text, where
        assert "垃圾已清运完毕" in text, where  # the unit's reply is public


def test_verification_note_of_a_whistle_stays_internal(world):
    d = new_demand(world)
    whistle = fed_back(world, blow(world, [d]))
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True, note=INTERNAL)
    view = track(d.tracking_code)
    assert [s["step"] for s in view["steps"]] == ["receive", "blow_whistle", "feed_back", "whistle_closed"]
    assert view["steps"][-1]["reply"] == ""
    for where, text in public_texts(d.tracking_code).items():
        assert "内部核查意见" not in text, where
        assert "违建已拆除" in text, where


def test_each_step_once_after_a_rework(world):
    u = world.users
    d = new_demand(world)
    whistle = fed_back(world, blow(world, [d]))
    wf.do_verify(actor=u["dispatcher"], whistle_id=whistle.pk, passed=False, note=INTERNAL)
    lead = lead_of(whistle)
    wf.do_finish(actor=u["lead_handler"], summons_id=lead.pk, note="已彻底拆除并清运")
    wf.do_verify(actor=u["dispatcher"], whistle_id=whistle.pk, passed=True, note=INTERNAL)
    steps = track(d.tracking_code)["steps"]
    assert [s["step"] for s in steps] == [
        "receive",
        "blow_whistle",
        "feed_back",
        "rework",
        "feed_back",
        "whistle_closed",
    ]
    pairs = [(s["label"], s["reply"]) for s in steps]
    assert all(a != b for a, b in zip(pairs, pairs[1:], strict=False))  # no step shown twice in a row
    assert [s["reply"] for s in steps if s["step"] == "feed_back"] == ["违建已拆除", "已彻底拆除并清运"]


@pytest.mark.parametrize(
    ("language", "label", "other"), [("zh-hans", "已受理", "Received"), ("en", "Received", "已受理")]
)
def test_step_labels_follow_the_page_language(client, world, language, label, other):
    d = new_demand(world)
    page = client.get(reverse("intake:track", args=[d.tracking_code]), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert label in html and other not in html
