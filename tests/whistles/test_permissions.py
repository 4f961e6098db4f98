"""Who may do what: role and organisation checks of the workflow actions."""

from __future__ import annotations

import pytest

from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import actions as intake
from shaobao.whistles import actions as wf
from shaobao.whistles.access import access_summons, access_whistle
from tests.intake.flow import blow, fed_back, lead_of, new_demand, supporting_of

pytestmark = pytest.mark.django_db


def test_supporting_unit_cannot_verify_or_close_the_whistle(world):
    whistle = fed_back(world)
    with pytest.raises(Forbidden):
        wf.do_verify(actor=world.users["supporting_handler"], whistle_id=whistle.pk, passed=True)
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"


def test_supporting_unit_cannot_finish_the_leads_summons(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    with pytest.raises(NotFound):
        wf.do_finish(actor=world.users["supporting_handler"], summons_id=lead.pk, note="x")


def test_unit_cannot_report_in_for_another_unit_nor_the_street_for_a_unit(world):
    whistle = blow(world)
    with pytest.raises(NotFound):
        wf.do_report_in(actor=world.users["lead_handler"], summons_id=supporting_of(whistle).pk)
    with pytest.raises(Forbidden):
        wf.do_report_in(actor=world.users["dispatcher"], summons_id=lead_of(whistle).pk)


def test_other_streets_dispatcher_cannot_triage(world):
    demand = new_demand(world)
    b = world.users["dispatcher_b"]
    with pytest.raises(NotFound):
        intake.do_self_handle(actor=b, demand_id=demand.pk, unit_code=world.section_a.code)
    with pytest.raises(NotFound):
        wf.do_blow_whistle(actor=b, demand_ids=[demand.pk], type="routine", matter_code=world.matter.code)
    demand.refresh_from_db()
    assert demand.state == "received"


def test_grid_worker_sees_but_cannot_triage(world):
    demand = new_demand(world)
    with pytest.raises(Forbidden):
        intake.do_transfer(
            actor=world.users["grid_worker"], demand_id=demand.pk, street_code=world.street_b.code
        )


def test_resident_cannot_blow_a_whistle_on_their_own_demand(world):
    demand = new_demand(world, actor=world.users["resident"], channel="resident_web")
    with pytest.raises(Forbidden):
        wf.do_blow_whistle(
            actor=world.users["resident"],
            demand_ids=[demand.pk],
            type="routine",
            matter_code=world.matter.code,
        )


def test_outsider_gets_not_found_everywhere(world):
    whistle = blow(world)
    demand = whistle.demands.get()
    out = world.users["outsider"]
    with pytest.raises(NotFound):
        access_whistle(out, whistle.pk)
    with pytest.raises(NotFound):
        access_summons(out, lead_of(whistle).pk)
    with pytest.raises(NotFound):
        intake.do_callback(actor=out, demand_id=demand.pk, solved=True, satisfaction="satisfied")
    with pytest.raises(NotFound):
        wf.do_report_in(actor=out, summons_id=lead_of(whistle).pk)


def test_only_district_roles_arbitrate_and_decide_extensions(world):
    whistle = blow(world)
    sup = supporting_of(whistle)
    wf.do_dispute(actor=world.users["supporting_handler"], summons_id=sup.pk, reason="非本单位职责")
    for who in ("dispatcher", "supporting_handler", "lead_leader"):
        with pytest.raises((Forbidden, NotFound)):
            wf.do_arbitrate(actor=world.users[who], summons_id=sup.pk, decision="uphold")
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    ext = wf.do_request_extension(
        actor=world.users["lead_handler"], summons_id=lead.pk, days=2, reason="需协调"
    )
    with pytest.raises(Forbidden):
        wf.do_decide_extension(actor=world.users["dispatcher"], extension_id=ext.pk, grant=True)
    wf.do_decide_extension(actor=world.users["admin"], extension_id=ext.pk, grant=True)


def test_callback_by_dispatcher_or_coordinator_only(world):
    from tests.intake.flow import demand_in

    demand = demand_in(world, "closed")
    with pytest.raises(Forbidden):
        intake.do_callback(
            actor=world.users["street_leader"], demand_id=demand.pk, solved=True, satisfaction="satisfied"
        )
    intake.do_callback(
        actor=world.users["coordinator"], demand_id=demand.pk, solved=True, satisfaction="satisfied"
    )
    demand.refresh_from_db()
    assert demand.state == "called_back"


def test_assigned_street_unit_finishes_self_handling_but_not_others(world):
    demand = new_demand(world)
    intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )
    with pytest.raises(NotFound):
        intake.do_finish_self_handling(actor=world.users["lead_handler"], demand_id=demand.pk, note="x")
    intake.do_finish_self_handling(actor=world.users["section_handler"], demand_id=demand.pk, note="已清理")


def test_self_handling_needs_a_unit_of_the_street(world):
    from shaobao.core.errors import ValidationFailed

    demand = new_demand(world)
    with pytest.raises(ValidationFailed):
        intake.do_self_handle(
            actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.lead_unit.code
        )
