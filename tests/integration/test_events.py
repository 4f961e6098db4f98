"""The chain's events: each action tells its subscribers after commit, with ids and codes only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shaobao.core import events
from shaobao.core.errors import Conflict, NotFound
from shaobao.intake import actions as intake
from shaobao.platform.actions import do_send_broadcast
from shaobao.whistles import actions as wf
from shaobao.whistles.supervision import sweep
from tests.intake.flow import blow, demand_in, fed_back, lead_of, new_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    got: list[events.DomainEvent] = []

    def handler(event):
        got.append(event)

    for name in events.NAMES:
        events.subscribe(name, handler)
    yield got
    for name in list(events.NAMES):
        events.unsubscribe(name, handler)


def names(got):
    return [e.name for e in got]


def test_receipt_tells_received_and_placed(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demand = new_demand(world)
    assert names(heard)[:2] == ["demand.received", "demand.placed"]
    received = heard[0].payload
    assert received["tracking_code"] == demand.tracking_code and received["state"] == "received"
    assert heard[1].payload["street"] == world.street_a.code
    # No personal data: neither the number nor the name, only whether there is a phone to write to.
    assert all("13812345678" not in str(e.payload) and "张三" not in str(e.payload) for e in heard)
    assert received["has_phone"] is True


def test_nothing_until_commit(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new_demand(world)
    assert heard == [] and callbacks


def test_closing_and_callback_outcomes(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        closed = demand_in(world, "closed")
    (close,) = [e for e in heard if e.name == "demand.closed"]
    assert close.payload["tracking_code"] == closed.tracking_code and close.payload["by"] == "street"
    with django_capture_on_commit_callbacks(execute=True):
        intake.do_callback_unreachable(actor=world.users["dispatcher"], demand_id=closed.pk, note="无人接听")
        intake.do_callback(
            actor=world.users["dispatcher"], demand_id=closed.pk, solved=True, satisfaction="satisfied"
        )
    assert names(heard)[-2:] == ["demand.callback_failed", "demand.called_back"]
    assert heard[-1].payload["satisfaction"] == "satisfied" and heard[-1].payload["state"] == "called_back"
    with pytest.raises(Conflict):  # called back already: not awaiting a callback
        intake.do_callback_unreachable(actor=world.users["dispatcher"], demand_id=closed.pk)
    other = demand_in(world, "closed")
    with pytest.raises(NotFound):  # another street's dispatcher does not see it
        intake.do_callback_unreachable(actor=world.users["dispatcher_b"], demand_id=other.pk)


def test_whistle_blown_and_closed(world, heard, django_capture_on_commit_callbacks):

    with django_capture_on_commit_callbacks(execute=True):
        whistle = fed_back(world)
        wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True, note="已拆除")
    blown = [e for e in heard if e.name == "whistle.blown"]
    assert len(blown) == 1 and blown[0].payload["whistle_id"] == whistle.pk
    assert blown[0].payload["lead"] == world.lead_unit.code
    closed = [e for e in heard if e.name == "demand.closed"]
    assert len(closed) == 1 and closed[0].payload["by"] == "whistle"
    assert closed[0].payload["result"] == "已拆除"


def test_replies_the_tracking_page_shows_are_told_scrubbed(world, heard, django_capture_on_commit_callbacks):
    """The street's report and the lead unit's feedback: `demand.replied` with the reply as the tracking
    page shows it (a phone number or the caller's name typed in the note is masked)."""
    with django_capture_on_commit_callbacks(execute=True):
        d = intake.do_self_handle(
            actor=world.users["dispatcher"], demand_id=new_demand(world).pk, unit_code=world.section_a.code
        )
        intake.do_finish_self_handling(
            actor=world.users["section_handler"], demand_id=d.pk, note="已联系张三13812345678，违建已拆除"
        )
        whistle = fed_back(world)
    replied = [e for e in heard if e.name == "demand.replied"]
    assert [(e.payload["tracking_code"], e.payload["by"]) for e in replied] == [
        (d.tracking_code, "street"),
        (whistle.demands.get().tracking_code, "whistle"),
    ]
    assert "违建已拆除" in replied[0].payload["reply"]
    assert "13812345678" not in replied[0].payload["reply"] and "张三" not in replied[0].payload["reply"]
    assert replied[1].payload["reply"] == "违建已拆除" and replied[1].payload["whistle_id"] == whistle.pk


def test_placement_correction_and_transfer(world, heard, django_capture_on_commit_callbacks):
    demand = new_demand(world)
    with django_capture_on_commit_callbacks(execute=True):
        intake.do_transfer(
            actor=world.users["dispatcher"], demand_id=demand.pk, street_code=world.street_b.code
        )
    assert heard[-1].name == "demand.placed" and heard[-1].payload["street"] == world.street_b.code
    assert heard[-1].payload["source"] == "transfer"


def test_overdue_summonses_are_one_event_per_batch(world, heard, django_capture_on_commit_callbacks):
    whistles = [blow(world) for _ in range(3)]
    due = max(lead_of(w).report_in_due for w in whistles) + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(due, batch=4)
    overdue = [e for e in heard if e.name == "summons.overdue"]
    # 6 summonses (lead + supporting of 3 whistles) in batches of 4: two events.
    assert [e.payload["count"] for e in overdue] == [4, 2]
    ids = [i for e in overdue for i in e.payload["summons_ids"]]
    assert len(ids) == len(set(ids)) == 6
    assert {w for e in overdue for w in e.payload["whistle_ids"]} == {w.pk for w in whistles}
    with django_capture_on_commit_callbacks(execute=True):
        sweep(due + dt.timedelta(minutes=1))
    assert len([e for e in heard if e.name == "summons.overdue"]) == 2  # claimed once


def test_broadcast_sent(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        b = do_send_broadcast(
            actor=world.users["coordinator"],
            district=world.district,
            streets=[world.street_a],
            title="暴雨预警",
            body="请转移",
            level="red",
        )
    (sent,) = [e for e in heard if e.name == "broadcast.sent"]
    assert sent.payload["broadcast_id"] == b.pk and sent.payload["streets"] == [world.street_a.code]


def test_no_listener_no_work(world):
    """With nobody subscribed, an emit builds nothing and registers no callback."""
    saved = dict(events._subscribers)
    events._subscribers.clear()
    try:
        new_demand(world)  # warm caches
        with CaptureQueriesContext(connection) as with_none:
            new_demand(world, subject="另一个")
        assert not connection.run_on_commit
    finally:
        events._subscribers.update(saved)
    with CaptureQueriesContext(connection) as with_all:
        new_demand(world, subject="第三个")
    # With listeners, the action writes one outbox row per event, in its own transaction; the subscribers'
    # work happens after commit, not here.
    outbox = [q for q in with_all if "core_outboxevent" in q["sql"]]
    assert len(with_all) == len(with_none) + len(outbox)
    assert [q["sql"].split()[0] for q in outbox] == ["INSERT"]  # received and placed in one statement
    assert connection.run_on_commit  # ... queued for then


def test_a_failing_subscriber_does_not_stop_the_others(world, heard, django_capture_on_commit_callbacks):
    def broken(event):
        raise RuntimeError("down")

    events.subscribe("demand.received", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            new_demand(world)
    finally:
        events.unsubscribe("demand.received", broken)
    assert "demand.received" in names(heard)
