"""Monthly topic candidates on a small hand-made set, topic → key task, the before/after series, and
accountability referrals (district only)."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.keytasks import actions, selectors, supervision, topics
from shaobao.keytasks.access import access_referral
from shaobao.keytasks.models import KeyTask, Topic
from shaobao.whistles.models import SupervisionOrder
from tests.factories import DutyListFactory, MatterFactory
from tests.keytasks.conftest import at, demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_set(world):
    """March 2026: 违法建设 in community A1 of street A: 6 demands (one phone 3 times, one twice) against
    1, 1, 1 in Dec–Feb (rising); another matter in street B: 8 demands, 8 a month before too (frequent,
    flat); a third with 2 (below the minimum)."""
    draft = DutyListFactory(district=world.district, name="草稿", version=2)
    other = MatterFactory(duty_list=draft, code="CG-002", name="占道经营", lead_unit=world.lead_unit)
    third = MatterFactory(duty_list=draft, code="CG-003", name="噪声扰民", lead_unit=world.lead_unit)
    for i, phone in enumerate(["13900000001"] * 3 + ["13900000002"] * 2 + [""]):
        demand(
            world,
            at(2026, 3, 2 + i),
            community=world.community_a1,
            grid=world.grid_a1 if i < 4 else None,
            phone=phone,
        )
    for month in (12, 1, 2):
        demand(world, at(2025 if month == 12 else 2026, month, 10), community=world.community_a1)
    for i in range(8):
        demand(world, at(2026, 3, 3 + i), matter=other, street=world.street_b, phone=f"1380000{i:04d}")
        demand(world, at(2026, 2, 3 + i), matter=other, street=world.street_b)
        demand(world, at(2026, 1, 3 + i), matter=other, street=world.street_b)
        demand(world, at(2025, 12, 3 + i), matter=other, street=world.street_b)
    demand(world, at(2026, 3, 5), matter=third)
    demand(world, at(2026, 3, 6), matter=third)
    demand(world, at(2026, 4, 1, 0), matter=third)  # next month: not counted
    return other, third


def test_candidates_counts_trend_and_repeat_callers(world, month_set):
    other, third = month_set
    result = topics.compute(world.district, "2026-03")
    assert result.demands == 6 + 8 + 2
    top = result.frequent[0]
    assert (top.matter_code, top.level, top.count, top.previous) == ("CG-002", "street", 8, [8, 8, 8])
    assert top.rise == 0 and top.repeat_callers == 0
    street_a = next(c for c in result.frequent if c.matter_code == "CG-001" and c.level == "street")
    assert street_a.count == 6 and street_a.previous == [1, 1, 1]
    assert (street_a.repeat_callers, street_a.repeat_calls) == (2, 5)
    assert street_a.repeat_places == 1 and street_a.top_grid_count == 4
    # the community holds the street's whole figure: listed once, at the street
    assert not any(c.level == "community" and c.matter_code == "CG-001" for c in result.frequent)
    grid = next(c for c in result.frequent if c.level == "grid")
    assert grid.count == 4 and grid.grid_code == "G-A1-01"
    assert result.rising[0].matter_code == "CG-001" and result.rising[0].rise == 5.0
    assert all(c.matter_code != "CG-002" for c in result.rising)  # flat is not rising
    assert all(c.matter_code != "CG-003" for c in result.frequent)  # 2 < minimum 3


def test_a_chosen_topic_becomes_a_key_task_and_its_effect_is_tracked(world, month_set):
    topic = actions.do_choose_topic(
        actor=world.users["coordinator"], month="2026-03", matter="CG-001", street=world.street_a.code,
        lead_unit="CGZF", participating_units=["BH-CG"], measures="联合整治", deadline=dt.date(2026, 5, 29),
        now=at(2026, 4, 2),
    )  # fmt: skip
    task = topic.key_task
    assert task.lead_unit == world.lead_unit and list(task.participating_units.all()) == [world.section_a]
    assert task.description == "联合整治" and topic.figures["count"] == 6
    demand(world, at(2026, 4, 15), community=world.community_a1)
    series = topics.before_after(topic, months_before=3, months_after=2, now=at(2026, 5, 20))
    assert series["months"] == ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert series["counts"] == [1, 1, 1, 6, 1, 0]
    assert series["before_average"] == 1.0 and series["after_average"] == 0.5
    with pytest.raises(Conflict):
        actions.do_choose_topic(
            actor=world.users["coordinator"], month="2026-03", matter="CG-001", street=world.street_a.code,
            lead_unit="CGZF", deadline=dt.date(2026, 5, 29), now=at(2026, 4, 2),
        )  # fmt: skip
    assert Topic.objects.count() == 1 and KeyTask.objects.count() == 1  # nothing written by the refusal
    assert list(selectors.topics_for(world.users["lead_handler"])) == [topic]


def test_choose_topic_errors_name_the_field(world, month_set):
    base = {"month": "2026-03", "matter": "CG-001", "street": world.street_a.code, "lead_unit": "CGZF",
            "deadline": dt.date(2026, 5, 29), "now": at(2026, 4, 2)}  # fmt: skip
    for change, field in (
        ({"month": "2026-13"}, "month"),
        ({"matter": "NOPE"}, "matter"),
        ({"street": "110117099000"}, "street"),
        ({"lead_unit": "NOPE"}, "lead_unit"),
        ({"deadline": dt.date(2026, 4, 1)}, "deadline"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            actions.do_choose_topic(actor=world.users["coordinator"], **{**base, **change})
        assert field in exc.value.fields
    # all at once: each bad field named in one answer
    with pytest.raises(ValidationFailed) as exc:
        actions.do_choose_topic(actor=world.users["coordinator"], **{**base, "matter": "NOPE",
                                "street": "110117099000", "lead_unit": "NOPE", "deadline": dt.date(2026, 4, 1)})  # fmt: skip
    assert set(exc.value.fields) == {"matter", "street", "lead_unit", "deadline"}
    with pytest.raises(Forbidden):
        actions.do_choose_topic(actor=world.users["dispatcher"], **base)
    assert KeyTask.objects.count() == 0


def _ignored_order(world) -> SupervisionOrder:
    from tests.intake.flow import blow, new_demand

    whistle = blow(world, demands=[new_demand(world)])
    summons = whistle.summonses.get(role="lead")
    return SupervisionOrder.objects.create(
        summons=summons, kind="supervision", stage="finish", issued_at=at(2026, 3, 2)
    )


def test_referrals_gather_facts_and_are_for_the_district_only(world, make_task):
    order = _ignored_order(world)
    coordinator = world.users["coordinator"]
    referral = actions.do_refer(
        actor=coordinator,
        kind="ignored_order",
        supervision_order=order.pk,
        reason="督办不理",
        now=at(2026, 3, 10),
    )
    assert referral.unit == world.lead_unit and referral.whistle_id == order.summons.whistle_id
    actions_seen = {f["action"] for f in referral.facts}
    assert "order_supervision" in actions_seen and any(f["source"] == "audit" for f in referral.facts)
    with pytest.raises(Conflict):
        actions.do_refer(
            actor=coordinator,
            kind="ignored_order",
            supervision_order=order.pk,
            reason="x",
            now=at(2026, 3, 10),
        )
    for name in ("lead_leader", "dispatcher", "street_leader", "resident"):
        user = world.users[name]
        with pytest.raises(Forbidden):
            access_referral(user, referral.pk)
        assert not selectors.referrals_for(user).exists()
    actions.do_decide_referral(actor=coordinator, referral_id=referral.pk, decision="criticism", note="通报")
    with pytest.raises(Conflict):
        actions.do_decide_referral(actor=coordinator, referral_id=referral.pk, decision="no_action")
    closed = actions.do_record_outcome(actor=coordinator, referral_id=referral.pk, outcome="已通报")
    assert closed.state == "closed"


def test_referral_grounds_are_checked(world, make_task):
    coordinator = world.users["coordinator"]
    order = _ignored_order(world)
    with pytest.raises(ValidationFailed) as exc:  # issued today: not yet ignored
        actions.do_refer(
            actor=coordinator,
            kind="ignored_order",
            supervision_order=order.pk,
            reason="x",
            now=at(2026, 3, 2, 11),
        )
    assert exc.value.fields == {"supervision_order": "not_ignored"}
    task = make_task(days_ahead=3)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_refer(
            actor=coordinator,
            kind="overdue_task",
            key_task=task.pk,
            reason="x",
            now=task.deadline + dt.timedelta(days=2),
        )
    assert exc.value.fields == {"key_task": "not_long_overdue"}
    supervision.sweep(task.deadline)
    referral = actions.do_refer(
        actor=coordinator,
        kind="overdue_task",
        key_task=task.pk,
        reason="长期逾期",
        now=task.deadline + dt.timedelta(days=20),
    )
    assert referral.unit == world.lead_unit
    assert {"key_task_created", "key_task_overdue", "order_supervision", "deadline"} <= {
        f["action"] for f in referral.facts
    }
    with pytest.raises(ValidationFailed) as exc:
        actions.do_refer(
            actor=coordinator, kind="repeated_rework", whistle=order.summons.whistle_id, reason="x"
        )
    assert exc.value.fields == {"whistle": "not_repeated"}


def test_settled_months_are_rolled_up_once_and_recent_ones_read_from_the_demands(world, month_set):
    from shaobao.keytasks.models import DemandMonthCount, RolledMonth

    topics.compute(world.district, "2026-03")
    assert set(RolledMonth.objects.values_list("month", flat=True)) == {"2025-12", "2026-01", "2026-02"}
    assert DemandMonthCount.objects.filter(month="2026-02").count() == 2
    assert topics.ensure_rolled("2026-03", now=at(2026, 4, 3)) is False  # not settled yet
    assert topics.ensure_rolled("2026-03", now=at(2026, 4, 9)) is True
    before = RolledMonth.objects.count()
    assert (
        topics.ensure_rolled("2026-03", now=at(2026, 4, 9)) is True and RolledMonth.objects.count() == before
    )
