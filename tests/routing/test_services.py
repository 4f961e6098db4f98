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


@pytest.mark.parametrize("text", ["", "   ", "🏠🚗😡", "\x00\x01\u200b", "？？？!!!", "hello"])
def test_text_with_nothing_to_go_on_gets_an_empty_but_valid_proposal(world, duty_list, text):
    """Every matter would tie: proposing the first of the list (and its units) would be a guess presented
    as a proposal. The dispatcher gets no matter, no units, and the place the demand already has."""
    make_demand(world, subject="🙂", body="😡😡")  # an open emoji-only demand: not a duplicate of anything
    proposal = propose(subject=text, body=text, address=text, district=world.district)
    assert proposal.matters == [] and proposal.matter is None
    assert proposal.lead_unit is None and proposal.supporting_units == [] and proposal.unit_codes == []
    assert proposal.street is None and proposal.community is None and proposal.place_matches == []
    assert proposal.duplicates == []
    assert proposal.method.startswith("cold start")
    assert proposal.as_dict()["matters"] == []
    placed = propose(subject=text, body=text, district=world.district, street=world.street_a)
    assert placed.street.code == world.street_a.code and placed.street.source == "demand"
    assert placed.matters == [] and placed.lead_unit is None and placed.duplicates == []


def test_emoji_only_demand_gets_a_proposal_without_matter_or_duplicates(world, duty_list):
    make_demand(world, subject="🙂🙂", body="😡😡😡", days_ago=1)
    demand = make_demand(world, subject="🙂🙂", body="😡😡😡")
    proposal = propose_for_demand(demand)
    assert proposal.matters == [] and proposal.lead_unit is None and proposal.duplicates == []
    assert proposal.street.source == "demand"
    record = record_outcome(demand=demand, proposal=None, chosen_matter="CG-002", chosen_units=["CGZF"])
    assert record.proposed_matter_id is None and record.proposed_units == [] and not record.matter_accepted


def test_a_100000_character_paste_gets_the_proposal_of_its_head(world, duty_list):
    """Matter, place and units come from the head of the text (the classifier reads 400 characters, place
    recognition 2,000, duplicates 200 of the body): a huge paste costs and proposes what its head does;
    words buried after the cut are not read."""
    head = "楼顶违建。我住滨河街道承平里社区，3号楼顶有人私搭乱建彩钢房。"
    filler = "附件：" + "相关情况说明" * 17_000
    assert len(filler) > 100_000
    huge = propose(body=head + filler, district=world.district)
    assert huge.matter.code == "CG-001" and huge.matter.probability > 0.5
    assert huge.street.code == world.street_a.code and huge.community.name == "承平里社区"
    assert huge.lead_unit.code == world.section_a.code  # street A's override
    assert huge.as_dict() == propose(body=head + filler[:4000], district=world.district).as_dict()
    buried = propose(body=filler + head, district=world.district)
    assert buried.matters == [] and buried.street is None and buried.lead_unit is None


def test_mixed_scripts_get_the_same_proposal_as_simplified(world, duty_list):
    simplified = propose(
        subject="楼顶违建 😡",
        body="滨河街道承平里社区3号楼顶有人私搭乱建，盖了一间彩钢房 ABC",
        district=world.district,
    )
    mixed = propose(
        subject="樓頂違建 😡",
        body="濱河街道承平裡社區3號樓頂有人私搭亂建，蓋了一间彩鋼房 ＡＢＣ",
        district=world.district,
    )
    assert mixed.as_dict() == simplified.as_dict()
    assert mixed.matter.code == "CG-001"
    assert (mixed.street.code, mixed.community.name) == (world.street_a.code, "承平里社区")
    assert mixed.lead_unit.code == world.section_a.code  # street A's override
    assert {u.code for u in mixed.supporting_units} == {world.supporting_unit.code, "PCS"}
