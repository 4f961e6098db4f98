"""Proposals: cold start from the duty list, units from the rule (with the street's override), outcomes."""

from __future__ import annotations

import pytest

from shaobao.routing.models import ProposalRecord
from shaobao.routing.selectors import acceptance_by_matter
from shaobao.routing.services import propose, propose_for_demand, record_outcome
from tests.routing.conftest import make_demand


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("我家楼下有人私搭乱建，盖了一间彩钢房", "CG-001"),
        ("楼下廣場舞噪音太大，晚上十點還在跳", "HJ-001"),
        ("小区门口天天有人摆摊，堵住了人行道", "CG-002"),
        ("老板拖欠工资半年了，我们去讨薪没人管", "SB-001"),
        ("消防通道被私家车违停占用", "JT-001"),
    ],
)
def test_cold_start_picks_the_matter_named_by_its_keywords(world, duty_list, text, code):
    proposal = propose(body=text, district=world.district)
    assert proposal.matter.code == code
    assert proposal.matter.probability > 0.5
    assert proposal.method.startswith("cold start")
    assert [m.probability for m in proposal.matters] == sorted(
        (m.probability for m in proposal.matters), reverse=True
    )


def test_units_come_from_the_duty_list(world, duty_list):
    proposal = propose(subject="违建", body="楼顶加盖", district=world.district, street=world.street_b)
    assert proposal.lead_unit.code == world.lead_unit.code
    assert [u.code for u in proposal.supporting_units] == [world.supporting_unit.code]
    assert proposal.street.source == "demand"


def test_street_override_changes_the_proposed_units(world, duty_list):
    in_a = propose(body="私搭乱建", address="滨河街道承平里社区", district=world.district)
    assert in_a.street.code == world.street_a.code and in_a.street.words == ["滨河街道"]
    assert in_a.community.name == "承平里社区"
    assert in_a.lead_unit.code == world.section_a.code
    assert {u.code for u in in_a.supporting_units} == {world.supporting_unit.code, "PCS"}
    in_b = propose(body="私搭乱建", address="兴谷街道", district=world.district)
    assert in_b.lead_unit.code == world.lead_unit.code


def test_proposal_for_a_demand_finds_its_duplicate(world, duty_list):
    first = make_demand(
        world, subject="承平里小区3号楼楼顶违建", body="3号楼顶有人私搭乱建彩钢房，已经盖了一半", days_ago=2
    )
    second = make_demand(
        world, subject="承平里小区3号楼楼顶违建！", body="3号楼楼顶有人私搭乱建彩钢房，已盖了一半了"
    )
    proposal = propose_for_demand(second)
    assert proposal.matter.code == "CG-001"
    assert [d.demand_id for d in proposal.duplicates] == [first.pk]
    assert proposal.as_dict()["duplicates"][0]["tracking_code"] == first.tracking_code


def test_outcome_is_recorded_and_counted_in_acceptance(world, duty_list):
    demand = make_demand(world, subject="楼顶违建", body="有人私搭乱建")
    proposal = propose_for_demand(demand)
    accepted = record_outcome(
        demand=demand,
        proposal=proposal,
        chosen_matter=duty_list.matters.get(code="CG-001"),
        chosen_units=[world.section_a, world.supporting_unit, "PCS"],  # street A's override
        actor=world.users["dispatcher"],
    )
    assert accepted.matter_accepted and accepted.units_accepted
    assert accepted.proposed_rank_of_chosen == 1
    changed = record_outcome(
        demand=demand, proposal=proposal, chosen_matter="CG-002", chosen_units=["BH-CG"], actor=None
    )
    assert not changed.matter_accepted and not changed.units_accepted
    assert changed.chosen_matter.code == "CG-002" and changed.chosen_units == ["BH-CG"]
    assert ProposalRecord.objects.filter(demand=demand).count() == 2
    table = acceptance_by_matter()
    assert table["total"] == 2 and table["matter_rate"] == 0.5
    assert {row["code"]: row["rate"] for row in table["matters"]} == {"CG-001": 1.0, "CG-002": 0.0}


def test_no_duty_list_means_an_empty_but_valid_proposal(world):
    proposal = propose(body="噪音", district=None)
    assert proposal.matters == [] and proposal.lead_unit is None
