"""Every allowed demand transition, and a sample of forbidden ones, through the do_* actions."""

from __future__ import annotations

import pytest

from shaobao.core.errors import Conflict
from shaobao.core.models import Event
from shaobao.intake import actions as intake
from shaobao.intake.states import DEMAND_TRANSITIONS
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, demand_in, fed_back, new_demand

pytestmark = pytest.mark.django_db


def _do(world, action: str, demand):
    """Run the action that performs `action` on the demand (as the right person)."""
    u = world.users
    d = u["dispatcher"]
    if action == "self_handle":
        return intake.do_self_handle(actor=d, demand_id=demand.pk, unit_code=world.section_a.code)
    if action == "blow_whistle":
        return wf.do_blow_whistle(
            actor=d, demand_ids=[demand.pk], type="routine", matter_code=world.matter.code
        )
    if action == "merge":
        other = new_demand(world, subject="另一条")
        return intake.do_merge(actor=d, demand_id=demand.pk, into_id=other.pk)
    if action == "transfer":
        return intake.do_transfer(actor=d, demand_id=demand.pk, street_code=world.street_b.code)
    if action == "finish_self_handling":
        who = u["section_handler"] if demand.assigned_unit_id else d
        return intake.do_finish_self_handling(actor=who, demand_id=demand.pk, note="已处理")
    if action == "verify_pass":
        return intake.do_verify_self_handling(actor=d, demand_id=demand.pk, passed=True)
    if action == "verify_fail":
        return intake.do_verify_self_handling(actor=d, demand_id=demand.pk, passed=False, note="未整改到位")
    if action == "callback_satisfied":
        return intake.do_callback(
            actor=d, demand_id=demand.pk, solved=True, satisfaction="basically_satisfied"
        )
    if action == "callback_unsatisfied":
        return intake.do_callback(actor=d, demand_id=demand.pk, solved=True, satisfaction="unsatisfied")
    raise ValueError(action)


ALLOWED = [
    (state, action, target)
    for state, steps in DEMAND_TRANSITIONS.items()
    for action, target in steps.items()
    if action != "whistle_closed"  # covered below: it happens only when the whistle is verified
]


def test_the_table_is_covered():
    covered = {(s, a) for s, a, _ in ALLOWED} | {("whistled", "whistle_closed")}
    assert covered == {(s, a) for s, steps in DEMAND_TRANSITIONS.items() for a in steps}


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED)
def test_allowed_transition(world, state, action, target):
    demand = demand_in(world, state)
    assert demand.state == state
    _do(world, action, demand)
    demand.refresh_from_db()
    assert demand.state == target
    last = Event.objects.filter(subject_type="intake.demand", subject_id=demand.pk).last()
    assert (last.action, last.from_state, last.to_state) == (action, state, target)


def test_whistled_demand_closes_when_its_whistle_is_verified(world):
    demand = new_demand(world)
    whistle = fed_back(world, blow(world, [demand]))
    demand.refresh_from_db()
    assert demand.state == "whistled"
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    demand.refresh_from_db()
    assert demand.state == "closed" and demand.closed_at is not None


def test_transfer_moves_the_demand_to_the_other_street(world):
    demand = new_demand(world)
    intake.do_transfer(actor=world.users["dispatcher"], demand_id=demand.pk, street_code=world.street_b.code)
    demand.refresh_from_db()
    assert demand.street == world.street_b and demand.state == "received"


def test_failed_self_handling_check_counts_a_rework(world):
    demand = demand_in(world, "handled")
    intake.do_verify_self_handling(actor=world.users["dispatcher"], demand_id=demand.pk, passed=False)
    demand.refresh_from_db()
    assert demand.state == "self_handling" and demand.rework_count == 1


def test_unsatisfied_callback_reopens_counts_rework_and_can_be_whistled_again(world):
    demand = demand_in(world, "reopened")
    assert demand.rework_count == 1 and demand.satisfaction == "unsatisfied"
    blow(world, [demand])
    demand.refresh_from_db()
    assert demand.state == "whistled"


def test_unsolved_but_satisfied_callback_still_reopens(world):
    demand = demand_in(world, "closed")
    intake.do_callback(
        actor=world.users["dispatcher"], demand_id=demand.pk, solved=False, satisfaction="satisfied"
    )
    demand.refresh_from_db()
    assert demand.state == "reopened"


FORBIDDEN = [
    ("received", "finish_self_handling"),
    ("received", "verify_pass"),
    ("received", "callback_satisfied"),
    ("self_handling", "self_handle"),
    ("self_handling", "blow_whistle"),
    ("self_handling", "verify_pass"),
    ("self_handling", "callback_unsatisfied"),
    ("handled", "merge"),
    ("handled", "transfer"),
    ("handled", "finish_self_handling"),
    ("whistled", "self_handle"),
    ("whistled", "blow_whistle"),
    ("whistled", "callback_satisfied"),
    ("whistled", "merge"),
    ("closed", "blow_whistle"),
    ("closed", "self_handle"),
    ("closed", "transfer"),
    ("called_back", "callback_satisfied"),
    ("called_back", "blow_whistle"),
    ("called_back", "self_handle"),
    ("merged", "self_handle"),
    ("merged", "merge"),
    ("merged", "blow_whistle"),
    ("reopened", "transfer"),
    ("reopened", "finish_self_handling"),
    ("reopened", "verify_fail"),
]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_forbidden_transition_is_a_conflict_and_writes_nothing(world, state, action):
    assert action not in DEMAND_TRANSITIONS[state]
    demand = demand_in(world, state)
    before = (demand.state, demand.street_id, demand.assigned_unit_id, demand.rework_count)
    last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with pytest.raises(Conflict) as err:
        _do(world, action, demand)
    assert err.value.status == 409
    demand.refresh_from_db()
    assert (demand.state, demand.street_id, demand.assigned_unit_id, demand.rework_count) == before
    # Only the merge helper's own new demand may have been written, never an event on this demand.
    assert not Event.objects.filter(
        pk__gt=last_event, subject_type="intake.demand", subject_id=demand.pk
    ).exists()
