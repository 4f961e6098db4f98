"""Every allowed whistle and summons transition, and a sample of forbidden ones, through the actions."""

from __future__ import annotations

import pytest

from shaobao.core.errors import Conflict
from shaobao.core.models import Event
from shaobao.whistles import actions as wf
from shaobao.whistles.states import SUMMONS_TRANSITIONS, WHISTLE_TRANSITIONS
from tests.intake.flow import blow, fed_back, lead_of, supporting_of

pytestmark = pytest.mark.django_db


def _events(obj) -> list[tuple[str, str, str]]:
    label = obj._meta.label_lower
    return [
        (e.action, e.from_state, e.to_state)
        for e in Event.objects.filter(subject_type=label, subject_id=obj.pk).order_by("pk")
    ]


# --- whistle -------------------------------------------------------------------------------------


def test_whistle_blown_to_handling_on_first_report_in(world):
    whistle = blow(world)
    wf.do_report_in(actor=world.users["supporting_handler"], summons_id=supporting_of(whistle).pk)
    whistle.refresh_from_db()
    assert whistle.state == "handling"
    assert ("report_in", "blown", "handling") in _events(whistle)


def test_whistle_handling_to_fed_back_when_the_lead_finishes(world):
    whistle = fed_back(world)
    assert whistle.state == "fed_back" and whistle.fed_back_at is not None
    assert ("feed_back", "handling", "fed_back") in _events(whistle)


def test_whistle_fed_back_to_closed_when_verified(world):
    whistle = fed_back(world)
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    whistle.refresh_from_db()
    assert whistle.state == "closed" and whistle.closed_at is not None


def test_whistle_fed_back_to_handling_when_verification_fails(world):
    whistle = fed_back(world)
    old_due = lead_of(whistle).finish_due
    wf.do_verify(actor=world.users["street_leader"], whistle_id=whistle.pk, passed=False, note="未拆除干净")
    whistle.refresh_from_db()
    lead = lead_of(whistle)
    assert whistle.state == "handling" and whistle.rework_count == 1
    assert lead.state == "reported_in" and lead.finished_at is None
    assert lead.finish_due >= old_due
    assert ("rework", "finished", "reported_in") in _events(lead)
    assert all(d.rework_count == 1 for d in whistle.demands.all())
    # The rework is finished and verified again.
    wf.do_finish(actor=world.users["lead_handler"], summons_id=lead.pk, note="已彻底拆除")
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    whistle.refresh_from_db()
    assert whistle.state == "closed"


def test_whistle_table_is_covered():
    assert {(s, a) for s, steps in WHISTLE_TRANSITIONS.items() for a in steps} == {
        ("blown", "report_in"),
        ("handling", "feed_back"),
        ("fed_back", "verify_pass"),
        ("fed_back", "verify_fail"),
    }


@pytest.mark.parametrize("state", ["blown", "handling", "closed"])
@pytest.mark.parametrize("passed", [True, False])
def test_verify_outside_fed_back_is_a_conflict(world, state, passed):
    whistle = blow(world)
    if state == "handling":
        wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead_of(whistle).pk)
    if state == "closed":
        whistle = fed_back(world, whistle)
        wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    whistle.refresh_from_db()
    before = _events(whistle)
    with pytest.raises(Conflict):
        wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=passed)
    whistle.refresh_from_db()
    assert whistle.state == state and whistle.rework_count == 0 and _events(whistle) == before


def test_lead_cannot_feed_back_before_supporting_units_finish(world):
    whistle = blow(world)
    lead, sup = lead_of(whistle), supporting_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    wf.do_report_in(actor=world.users["supporting_handler"], summons_id=sup.pk)
    with pytest.raises(Conflict) as err:
        wf.do_finish(actor=world.users["lead_handler"], summons_id=lead.pk, note="完成")
    assert err.value.code == "supporting_pending"
    lead.refresh_from_db()
    whistle.refresh_from_db()
    assert lead.state == "reported_in" and whistle.state == "handling"


# --- summons -------------------------------------------------------------------------------------


def _summons_in(world, state: str):
    whistle = blow(world)
    lead = lead_of(whistle)
    u = world.users
    if state == "summoned":
        return lead
    if state in ("disputed", "withdrawn"):
        # The supporting unit disputes (a supporting dispute may be upheld without a replacement).
        sup = supporting_of(whistle)
        wf.do_dispute(actor=u["supporting_handler"], summons_id=sup.pk, reason="不属于我单位职责")
        if state == "withdrawn":
            wf.do_arbitrate(actor=u["coordinator"], summons_id=sup.pk, decision="uphold")
        sup.refresh_from_db()
        return sup
    sup = supporting_of(whistle)
    if state == "reported_in":
        wf.do_report_in(actor=u["supporting_handler"], summons_id=sup.pk)
        sup.refresh_from_db()
        return sup
    if state == "finished":
        wf.do_report_in(actor=u["supporting_handler"], summons_id=sup.pk)
        wf.do_finish(actor=u["supporting_handler"], summons_id=sup.pk, note="完成")
        sup.refresh_from_db()
        return sup
    raise ValueError(state)


def _act(world, action: str, summons):
    u = world.users
    who = u["lead_handler"] if summons.unit_id == world.lead_unit.pk else u["supporting_handler"]
    if action == "report_in":
        return wf.do_report_in(actor=who, summons_id=summons.pk)
    if action == "dispute":
        return wf.do_dispute(actor=who, summons_id=summons.pk, reason="非本单位职责")
    if action in ("uphold", "reject"):
        return wf.do_arbitrate(actor=u["coordinator"], summons_id=summons.pk, decision=action)
    if action == "finish":
        return wf.do_finish(actor=who, summons_id=summons.pk, note="办结")
    if action == "rework":
        whistle = summons.whistle
        wf.do_verify(actor=u["dispatcher"], whistle_id=whistle.pk, passed=False)
        return None
    raise ValueError(action)


SUMMONS_ALLOWED = [(s, a, t) for s, steps in SUMMONS_TRANSITIONS.items() for a, t in steps.items()]


@pytest.mark.parametrize(("state", "action", "target"), SUMMONS_ALLOWED)
def test_allowed_summons_transition(world, state, action, target):
    if action == "rework":
        whistle = fed_back(world)
        summons = lead_of(whistle)
    else:
        summons = _summons_in(world, state)
    assert summons.state == state
    _act(world, action, summons)
    summons.refresh_from_db()
    assert summons.state == target
    assert _events(summons)[-1] == (action, state, target)


SUMMONS_FORBIDDEN = [
    ("summoned", "finish"),
    ("summoned", "uphold"),
    ("summoned", "reject"),
    ("disputed", "report_in"),
    ("disputed", "finish"),
    ("disputed", "dispute"),
    ("reported_in", "report_in"),
    ("reported_in", "dispute"),
    ("reported_in", "uphold"),
    ("finished", "finish"),
    ("finished", "dispute"),
    ("finished", "report_in"),
    ("withdrawn", "report_in"),
    ("withdrawn", "finish"),
    ("withdrawn", "reject"),
]


@pytest.mark.parametrize(("state", "action"), SUMMONS_FORBIDDEN)
def test_forbidden_summons_transition_is_a_conflict_and_writes_nothing(world, state, action):
    assert action not in SUMMONS_TRANSITIONS[state]
    summons = _summons_in(world, state)
    whistle_state = summons.whistle.state
    before = _events(summons)
    with pytest.raises(Conflict):
        _act(world, action, summons)
    summons.refresh_from_db()
    summons.whistle.refresh_from_db()
    assert summons.state == state and _events(summons) == before
    assert summons.whistle.state == whistle_state
