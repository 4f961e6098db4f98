"""Every indicator, bottom-up score and composite of a hand-built October, against figures worked out by hand.

The arithmetic is written out next to each expectation (see scenario.py for the rows).
"""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.evaluation.indicators import Period, current_weights, table
from shaobao.evaluation.models import MonthlySurvey, UnitRating
from shaobao.evaluation.scores import bottom_up_scores, rankings
from tests.evaluation.scenario import approx, fig, t

OCT = Period.month("2026-10")


def test_unit_indicators_match_hand_figures(scenario):
    w = scenario.world
    units = table("unit", OCT)
    cg, zj, sec = units[w.lead_unit.id], units[w.supporting_unit.id], units[w.section_a.id]

    # CGZF: S1, S3, S5 (upheld dispute), S7 (not yet due); callbacks D0, D1, D2, D3.
    assert fig(cg, "response_rate") == (2, 2)
    assert fig(cg, "on_time_rate") == (2, 2)
    assert fig(cg, "resolution_rate") == (3, 4)
    assert cg["satisfaction_rate"].num == approx(2 * 1.0 + 1 * 0.8) and cg["satisfaction_rate"].den == 4
    assert fig(cg, "rework_rate") == (1, 2)
    assert fig(cg, "dispute_rate") == (1, 4)
    assert fig(cg, "upheld_dispute_rate") == (1, 1)
    assert fig(cg, "extension_rate") == (1, 3)
    assert cg["overdue_count"].num == 0
    assert cg["avg_report_hours"] == approx((2 + 1) / 2)
    assert cg["p90_report_hours"] == 2
    assert cg["avg_finish_hours"] == approx((48 + 240) / 2)
    assert cg["p90_finish_hours"] == 240

    # ZJW: S2 (late report-in), S4 (rejected dispute, late, overdue), S8 (extension still running).
    assert fig(zj, "response_rate") == (1, 3)
    assert fig(zj, "on_time_rate") == (1, 2)
    assert zj["resolution_rate"].value is None and zj["satisfaction_rate"].value is None
    assert zj["rework_rate"].value is None
    assert fig(zj, "dispute_rate") == (1, 3)
    assert fig(zj, "upheld_dispute_rate") == (0, 1)
    assert fig(zj, "extension_rate") == (1, 3)
    assert zj["overdue_count"].num == 1
    assert zj["avg_report_hours"] == approx((30 + 48 + 1) / 3)
    assert zj["p90_report_hours"] == 48
    assert zj["avg_finish_hours"] == approx(48) and zj["p90_finish_hours"] == 48

    # BH-CG: S6 (dispute pending, past due) and the self-handled D5.
    assert fig(sec, "response_rate") == (0, 1)
    assert fig(sec, "on_time_rate") == (0, 1)
    assert fig(sec, "resolution_rate") == (1, 1)
    assert fig(sec, "satisfaction_rate") == (1, 1)
    assert fig(sec, "upheld_dispute_rate") == (0, 0)
    assert sec["avg_report_hours"] is None
    assert sec["overdue_count"].num == 1


def test_street_matter_and_district_indicators_match_hand_figures(scenario):
    w = scenario.world
    streets = table("street", OCT)
    a, b = streets[w.street_a.id], streets[w.street_b.id]
    assert fig(a, "response_rate") == (2, 3)
    assert fig(a, "on_time_rate") == (3, 3)
    assert fig(a, "resolution_rate") == (4, 5)  # D0, D1, D2, D5 solved; D3 not
    assert a["satisfaction_rate"].num == approx(3 + 0.8) and a["satisfaction_rate"].den == 5
    assert fig(a, "rework_rate") == (1, 2)
    assert a["avg_report_hours"] == approx(11) and a["p90_report_hours"] == 30
    assert a["avg_finish_hours"] == approx(112) and a["p90_finish_hours"] == 240
    assert a["volume"]["received"] == 4  # D1, D2, D3, D5 (D7 merged, D0 in September)

    assert fig(b, "response_rate") == (1, 3)
    assert fig(b, "on_time_rate") == (0, 2)
    assert fig(b, "dispute_rate") == (3, 5)
    assert fig(b, "upheld_dispute_rate") == (1, 2)
    assert fig(b, "extension_rate") == (1, 4)
    assert b["overdue_count"].num == 2
    assert fig(b, "resolution_rate") == (1, 1)
    assert b["satisfaction_rate"].num == approx(0.8)
    assert b["avg_finish_hours"] is None and b["p90_report_hours"] == 48

    matters = table("matter", OCT)
    cg, m2 = matters[w.matter.id], matters[scenario.matter2.id]
    assert fig(cg, "response_rate") == (3, 4)
    assert fig(cg, "on_time_rate") == (3, 3)
    assert fig(cg, "resolution_rate") == (4, 5)
    assert fig(m2, "response_rate") == (0, 2)
    assert fig(m2, "on_time_rate") == (0, 2)
    assert fig(m2, "resolution_rate") == (1, 1)

    district = table("district", OCT)[w.district.id]
    assert fig(district, "response_rate") == (3, 6)
    assert fig(district, "on_time_rate") == (3, 5)
    assert fig(district, "resolution_rate") == (5, 6)
    assert district["satisfaction_rate"].num == approx(3 + 2 * 0.8) and district["satisfaction_rate"].den == 6
    assert fig(district, "dispute_rate") == (3, 8)
    assert fig(district, "upheld_dispute_rate") == (1, 2)
    assert fig(district, "extension_rate") == (2, 7)
    assert fig(district, "rework_rate") == (1, 2)
    assert district["overdue_count"].num == 2
    assert district["avg_report_hours"] == approx(82 / 5) and district["p90_report_hours"] == 48
    assert district["volume"]["received"] == 7


def _ratings(sc):
    w = sc.world
    disp, disp_b = w.users["dispatcher"], w.users["dispatcher_b"]
    CGZF, ZJW = w.lead_unit, w.supporting_unit
    for whistle, unit, scores in ((1, CGZF, (5, 4, 5)), (1, ZJW, (3, 3, 3)), (2, CGZF, (4, 4, 4))):
        c, i, q = scores
        UnitRating.objects.create(
            whistle=sc.whistles[whistle],
            unit=unit,
            street=w.street_a,
            cooperation=c,
            initiative=i,
            quality=q,
            rated_by=disp,
            rated_at=t(10, 27),
        )
    month = dt.date(2026, 10, 1)
    for street, unit, scores, by in (
        (w.street_a, CGZF, (5, 5, 5), disp),
        (w.street_b, CGZF, (3, 3, 4), disp_b),
        (w.street_a, ZJW, (2, 2, 2), disp),
    ):
        c, i, q = scores
        MonthlySurvey.objects.create(
            month=month, street=street, unit=unit, cooperation=c, initiative=i, quality=q, rated_by=by
        )


def test_bottom_up_and_composite_scores_and_rankings(scenario):
    w = scenario.world
    _ratings(scenario)
    bu = bottom_up_scores(OCT, weights=current_weights())
    # CGZF ratings (14 + 12) / 6 × 20 = 86.67; surveys (15 + 10) / 6 × 20 = 83.33; half and half = 85.
    assert bu[w.lead_unit.id]["ratings"]["score"] == approx(26 / 6 * 20)
    assert bu[w.lead_unit.id]["survey"]["score"] == approx(25 / 6 * 20)
    assert bu[w.lead_unit.id]["score"] == approx(85)
    assert bu[w.supporting_unit.id]["score"] == approx(0.5 * 60 + 0.5 * 40)

    result = rankings(w.district, OCT)
    units = {row["code"]: row for row in result["units"]}
    # CGZF objective: (1 + 1 + 0.75 + 0.7) / 4 = 86.25; composite 85/3 + 86.25·2/3 = 85.8333
    assert units["CGZF"]["objective"] == approx(86.25)
    assert units["CGZF"]["composite"] == pytest.approx(85 / 3 + 86.25 * 2 / 3, abs=1e-4)
    # ZJW objective: only response 1/3 and on-time 1/2 have data → 41.667; composite 50/3 + 41.667·2/3
    assert units["ZJW"]["composite"] == pytest.approx(50 / 3 + (1 / 3 + 0.5) / 2 * 100 * 2 / 3, abs=1e-4)
    # BH-CG: no bottom-up data → objective alone: (0 + 0 + 1 + 1) / 4 = 50
    assert units["BH-CG"]["composite"] == approx(50)
    assert [units[c]["rank"] for c in ("CGZF", "BH-CG", "ZJW")] == [1, 2, 3]
    assert units["CGZF"]["previous_rank"] == 1 and units["CGZF"]["change"] == 0  # alone in September
    assert units["ZJW"]["previous_rank"] is None

    streets = {row["code"]: row for row in result["streets"]}
    # Street A: 0.30·2/3 + 0.35·0.8 + 0.35·0.76 = 74.6; street B: 0.30·1/3 + 0.35·1 + 0.35·0.8 = 73
    assert streets[w.street_a.code]["composite"] == approx(74.6)
    assert streets[w.street_b.code]["composite"] == approx(73.0)
    assert streets[w.street_a.code]["rank"] == 1 and streets[w.street_b.code]["rank"] == 2
    assert result["weight_version"] == 1


def test_satisfaction_weights_are_configurable(scenario):
    from shaobao.evaluation.models import WeightSet

    WeightSet.objects.create(version=2, basically_satisfied_weight=1.0)
    a = table("street", OCT)[scenario.world.street_a.id]
    assert a["satisfaction_rate"].value == approx(4 / 5)


def test_a_district_reads_only_its_own_units_streets_and_matters(scenario):
    """Several counties share one rollup (a province): a county's ranking and matter table show only its own."""
    from shaobao.evaluation.models import MonthlyRollup
    from shaobao.evaluation.scores import compute_rankings
    from shaobao.evaluation.selectors import matter_indicators
    from tests.factories import DivisionFactory, DutyListFactory, MatterFactory

    w = scenario.world
    other_street = DivisionFactory(code="110105001000", level="street", parent=w.other_district)
    other_matter = MatterFactory(
        duty_list=DutyListFactory(district=w.other_district), code="OTHER", lead_unit=w.outsider_unit
    )
    for dim, key in (("unit", w.outsider_unit.id), ("street", other_street.id), ("matter", other_matter.id)):
        MonthlyRollup.objects.create(dim=dim, key=key, month=OCT.first, summoned=3, report_due=3)
    result = compute_rankings(w.district, OCT)
    assert w.outsider_unit.id not in {row["id"] for row in result["units"]}
    assert {row["id"] for row in result["streets"]} == {w.street_a.id, w.street_b.id}
    matters = {row["id"] for row in matter_indicators(w.users["coordinator"], OCT)}
    assert other_matter.id not in matters and w.matter.id in matters
