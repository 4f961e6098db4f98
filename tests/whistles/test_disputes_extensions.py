"""Disputes and their arbitration, extensions, and the lead/supporting rules of a whistle."""

from __future__ import annotations

import pytest

from shaobao.core.calendar import add_working_days
from shaobao.core.errors import Conflict, ValidationFailed
from shaobao.whistles import actions as wf
from shaobao.whistles.models import Summons
from tests.factories import UnitFactory
from tests.intake.flow import blow, lead_of, new_demand, supporting_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(world):
    from tests.conftest import make_user

    unit = UnitFactory(code="SCJG", name="区市场监管局", kind="department", division=world.district)
    make_user("market_handler", "unit_handler", world.district, unit)
    return unit


def test_lead_dispute_upheld_with_reassignment_transfers_the_lead_role(world, market):
    from shaobao.org.models import User

    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="属于市场监管职责")
    new = wf.do_arbitrate(
        actor=world.users["coordinator"], summons_id=lead.pk, decision="uphold", reassign_to="SCJG"
    )
    lead.refresh_from_db()
    assert lead.state == "withdrawn"
    assert new.unit == market and new.role == "lead" and new.state == "summoned"
    assert new.report_in_due > new.summoned_at
    # The new lead works it through to feedback (the supporting unit finishes first).
    handler = User.objects.get(username="market_handler")
    sup = supporting_of(whistle)
    wf.do_report_in(actor=handler, summons_id=new.pk)
    wf.do_report_in(actor=world.users["supporting_handler"], summons_id=sup.pk)
    wf.do_finish(actor=world.users["supporting_handler"], summons_id=sup.pk, note="完成")
    wf.do_finish(actor=handler, summons_id=new.pk, note="查处完毕")
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"


def test_lead_dispute_cannot_be_upheld_without_a_new_lead(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="不归我们管")
    with pytest.raises(ValidationFailed):
        wf.do_arbitrate(actor=world.users["coordinator"], summons_id=lead.pk, decision="uphold")
    lead.refresh_from_db()
    assert lead.state == "disputed"


def test_lead_dispute_upheld_promotes_the_supporting_unit_when_named(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="住建主责")
    promoted = wf.do_arbitrate(
        actor=world.users["coordinator"],
        summons_id=lead.pk,
        decision="uphold",
        reassign_to=world.supporting_unit.code,
    )
    assert promoted.unit == world.supporting_unit and promoted.role == "lead"
    assert whistle.summonses.exclude(state="withdrawn").count() == 1


def test_supporting_dispute_upheld_without_replacement_withdraws_it(world):
    whistle = blow(world)
    sup = supporting_of(whistle)
    wf.do_dispute(actor=world.users["supporting_handler"], summons_id=sup.pk, reason="无关")
    wf.do_arbitrate(actor=world.users["coordinator"], summons_id=sup.pk, decision="uphold")
    sup.refresh_from_db()
    assert sup.state == "withdrawn"
    # A withdrawn supporting unit no longer blocks the lead's feedback.
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    wf.do_finish(actor=world.users["lead_handler"], summons_id=lead.pk, note="完成")
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"


def test_dispute_rejected_the_unit_must_act_with_a_new_deadline(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    old_due = lead.finish_due
    wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="不归我们管")
    wf.do_arbitrate(
        actor=world.users["coordinator"], summons_id=lead.pk, decision="reject", note="清单明确城管主责"
    )
    lead.refresh_from_db()
    whistle.refresh_from_db()
    assert lead.state == "reported_in" and lead.reported_in_at is not None
    assert lead.finish_due >= old_due
    assert whistle.state == "handling"


def test_dispute_needs_a_reason(world):
    whistle = blow(world)
    with pytest.raises(ValidationFailed):
        wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead_of(whistle).pk, reason="  ")


def test_extension_granted_moves_finish_due_by_working_days(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    lead.refresh_from_db()
    old_due = lead.finish_due
    ext = wf.do_request_extension(
        actor=world.users["lead_handler"], summons_id=lead.pk, days=3, reason="需要审批"
    )
    with pytest.raises(Conflict):
        wf.do_request_extension(actor=world.users["lead_leader"], summons_id=lead.pk, days=2, reason="再申请")
    wf.do_decide_extension(actor=world.users["coordinator"], extension_id=ext.pk, grant=True, note="同意")
    lead.refresh_from_db()
    ext.refresh_from_db()
    assert ext.state == "granted" and ext.decided_by == world.users["coordinator"]
    assert lead.finish_due == add_working_days(old_due, 3)
    assert lead.extension_days == 3
    assert lead.finish_warn_at < lead.finish_due
    assert whistle.demands.get().due_at == lead.finish_due
    with pytest.raises(Conflict):
        wf.do_decide_extension(actor=world.users["coordinator"], extension_id=ext.pk, grant=False)


def test_extension_refused_keeps_the_deadline(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    lead.refresh_from_db()
    due = lead.finish_due
    ext = wf.do_request_extension(actor=world.users["lead_handler"], summons_id=lead.pk, days=5, reason="x")
    wf.do_decide_extension(actor=world.users["coordinator"], extension_id=ext.pk, grant=False)
    lead.refresh_from_db()
    assert lead.finish_due == due and lead.extension_days == 0


def test_extension_days_are_validated(world):
    whistle = blow(world)
    with pytest.raises(ValidationFailed) as err:
        wf.do_request_extension(
            actor=world.users["lead_handler"], summons_id=lead_of(whistle).pk, days=0, reason=""
        )
    assert set(err.value.fields) == {"days", "reason"}


def test_blow_whistle_defaults_units_from_the_duty_list_and_can_change_them(world, market):
    whistle = blow(world, lead_unit_code="SCJG", supporting_unit_codes=[world.lead_unit.code])
    units = {(s.unit.code, s.role) for s in whistle.summonses.all()}
    assert units == {("SCJG", "lead"), (world.lead_unit.code, "supporting")}


def test_blow_whistle_applies_the_streets_override(world, market):
    from shaobao.duties.models import MatterOverride

    # Overrides belong to the list version (frozen once published): insert as the data loader would.
    MatterOverride.objects.bulk_create(
        [MatterOverride(matter=world.matter, street=world.street_a, lead_unit=market)]
    )
    whistle = blow(world)
    assert lead_of(whistle).unit == market


def test_blow_whistle_rejects_unknown_matter_and_units(world):
    d = new_demand(world)
    with pytest.raises(ValidationFailed):
        blow(world, [d], matter_code="NOPE")
    with pytest.raises(ValidationFailed):
        blow(world, [d], lead_unit_code="NOPE")
    with pytest.raises(ValidationFailed):
        blow(world, [d], lead_unit_code=world.outsider_unit.code)  # another district's unit
    d.refresh_from_db()
    assert d.state == "received" and not Summons.objects.exists()


def test_one_whistle_covers_several_demands(world):
    a, b = new_demand(world), new_demand(world, subject="同一处违建")
    whistle = blow(world, [a, b])
    assert set(whistle.demands.values_list("pk", flat=True)) == {a.pk, b.pk}
    a.refresh_from_db()
    assert a.state == "whistled" and a.due_at == lead_of(whistle).finish_due


def test_emergency_whistle_has_a_30_minute_report_in(world):
    whistle = blow(world, type="emergency")
    s = lead_of(whistle)
    assert (s.report_in_due - s.summoned_at).total_seconds() == 30 * 60
