"""The buttons a page shows are exactly the steps the actions allow: for every persona and every demand
state, each step is tried (and rolled back); shown ⇔ the action succeeds. This keeps the page helpers
(`intake/views_support.py`, `whistles/views_support.py`) in step with the rules in the do_* actions."""

from __future__ import annotations

import pytest
from django.db import transaction

from shaobao.core.errors import DomainError, NotFound
from shaobao.intake import actions as intake
from shaobao.intake.access import access_demand
from shaobao.intake.views_support import demand_actions
from shaobao.whistles import actions as wa
from shaobao.whistles.access import access_whistle
from shaobao.whistles.views_support import summons_actions, whistle_actions

pytestmark = pytest.mark.django_db
ROLES = [
    "dispatcher", "street_leader", "grid_worker", "dispatcher_b", "lead_handler", "lead_leader",
    "supporting_handler", "section_handler", "coordinator", "admin", "resident", "outsider",
]  # fmt: skip


class _Rollback(Exception):
    pass


def attempt(do, **kwargs) -> bool:
    """True when the action succeeds; nothing it wrote is kept."""
    try:
        with transaction.atomic():
            do(**kwargs)
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


def demand_in(state: str, world):
    dispatcher = world.users["dispatcher"]
    d = intake.do_receive_demand(
        actor=dispatcher,
        channel="hotline_12345",
        kind="complaint",
        subject="违建",
        body="楼顶违建",
        reporter_name="张三",
        reporter_phone="13812345678",
        street_code=world.street_a.code,
    )
    if state in {"self_handling", "handled", "closed"}:
        intake.do_self_handle(actor=dispatcher, demand_id=d.pk, unit_code=world.section_a.code)
    if state in {"handled", "closed"}:
        intake.do_finish_self_handling(actor=world.users["section_handler"], demand_id=d.pk, note="已处理")
    if state == "closed":
        intake.do_verify_self_handling(actor=dispatcher, demand_id=d.pk, passed=True)
    d.refresh_from_db()
    assert d.state == state
    return d


@pytest.mark.parametrize("state", ["received", "self_handling", "handled", "closed"])
def test_demand_buttons_are_the_allowed_steps(world, state):
    demand = demand_in(state, world)
    other = demand_in("received", world)
    steps = {
        "self_handle": lambda u: attempt(
            intake.do_self_handle, actor=u, demand_id=demand.pk, unit_code=world.section_a.code
        ),
        "blow_whistle": lambda u: attempt(
            wa.do_blow_whistle, actor=u, demand_ids=[demand.pk], type="routine", matter_code="CG-001"
        ),
        "transfer": lambda u: attempt(
            intake.do_transfer, actor=u, demand_id=demand.pk, street_code=world.street_b.code
        ),
        "merge": lambda u: attempt(intake.do_merge, actor=u, demand_id=demand.pk, into_id=other.pk),
        "finish_self_handling": lambda u: attempt(
            intake.do_finish_self_handling, actor=u, demand_id=demand.pk, note="已处理"
        ),
        "verify_self_handling": lambda u: attempt(
            intake.do_verify_self_handling, actor=u, demand_id=demand.pk, passed=True
        ),
        "callback": lambda u: attempt(
            intake.do_callback, actor=u, demand_id=demand.pk, solved=True, satisfaction="satisfied"
        ),
        "correct_placement": lambda u: attempt(
            intake.do_correct_placement, actor=u, demand_id=demand.pk, community_code=world.community_a1.code
        ),
    }
    for role in ROLES:
        user = world.users[role]
        try:
            seen = access_demand(user, demand.pk)
        except (NotFound, DomainError):
            continue  # the page is a 404 for them: no buttons at all
        shown = demand_actions(user, seen) - {"reveal"}
        allowed = {name for name, step in steps.items() if step(user)}
        assert shown == allowed, (role, state)


def test_whistle_buttons_are_the_allowed_steps(world):
    demand = demand_in("received", world)
    whistle = wa.do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001"
    )
    lead = whistle.summonses.get(role="lead")
    supporting = whistle.summonses.get(role="supporting")
    wa.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    wa.do_dispute(actor=world.users["supporting_handler"], summons_id=supporting.pk, reason="不是我们的")

    def steps_for(s):
        return {
            "report_in": lambda u: attempt(wa.do_report_in, actor=u, summons_id=s.pk),
            "dispute": lambda u: attempt(wa.do_dispute, actor=u, summons_id=s.pk, reason="不属于"),
            "arbitrate": lambda u: attempt(wa.do_arbitrate, actor=u, summons_id=s.pk, decision="reject"),
            "progress": lambda u: attempt(wa.do_record_progress, actor=u, summons_id=s.pk, note="到场"),
            "request_extension": lambda u: attempt(
                wa.do_request_extension, actor=u, summons_id=s.pk, days=2, reason="需要时间"
            ),
            "finish": lambda u: attempt(wa.do_finish, actor=u, summons_id=s.pk, note="完成"),
        }

    for role in ROLES:
        user = world.users[role]
        try:
            seen = access_whistle(user, whistle.pk)
        except (NotFound, DomainError):
            continue
        for s in seen.summonses.prefetch_related("extension_requests"):
            shown = summons_actions(user, s, seen) - {"decide_extension", "finish_waiting"}
            allowed = {name for name, step in steps_for(s).items() if step(user)}
            assert shown == allowed, (role, s.role, s.state)
        assert whistle_actions(user, seen) == set()  # nothing to verify before the feedback


def test_verify_and_extension_buttons_are_the_allowed_steps(world):
    demand = demand_in("received", world)
    whistle = wa.do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001"
    )
    lead = whistle.summonses.get(role="lead")
    supporting = whistle.summonses.get(role="supporting")
    wa.do_report_in(actor=world.users["supporting_handler"], summons_id=supporting.pk)
    ext = wa.do_request_extension(
        actor=world.users["supporting_handler"], summons_id=supporting.pk, days=2, reason="需要时间"
    )
    for role in ROLES:
        user = world.users[role]
        try:
            seen = access_whistle(user, whistle.pk)
        except (NotFound, DomainError):
            continue
        s = seen.summonses.prefetch_related("extension_requests").get(pk=supporting.pk)
        shown = "decide_extension" in summons_actions(user, s, seen)
        assert shown == attempt(wa.do_decide_extension, actor=user, extension_id=ext.pk, grant=True), role

    wa.do_finish(actor=world.users["supporting_handler"], summons_id=supporting.pk, note="配合完成")
    wa.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    wa.do_finish(actor=world.users["lead_handler"], summons_id=lead.pk, note="已拆除")
    for role in ROLES:
        user = world.users[role]
        try:
            seen = access_whistle(user, whistle.pk)
        except (NotFound, DomainError):
            continue
        shown = whistle_actions(user, seen) == {"verify"}
        assert shown == attempt(wa.do_verify, actor=user, whistle_id=whistle.pk, passed=True), role
