"""The dispatcher's decisions become routing feedback: whistling and self-handling record an outcome."""

from shaobao.intake import actions as intake
from shaobao.routing.models import ProposalRecord
from tests.intake.flow import blow, new_demand


def test_blowing_a_whistle_records_the_chosen_matter_and_units(world):
    demand = new_demand(world)
    blow(world, [demand], supporting_unit_codes=[])
    record = ProposalRecord.objects.get(demand=demand)
    assert record.chosen_matter_id == world.matter.pk
    assert record.actor == world.users["dispatcher"]
    assert record.chosen_units and record.chosen_units[0] in (world.lead_unit.code, world.lead_unit.pk)


def test_self_handling_records_the_street_unit(world):
    demand = new_demand(world)
    intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )
    record = ProposalRecord.objects.get(demand=demand)
    assert len(record.chosen_units) == 1
    assert record.chosen_units[0] in (world.section_a.code, world.section_a.pk)
