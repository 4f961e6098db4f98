"""Evaluation pages and selectors: scoping (units see their own figures, streets theirs, district all),
drill-down to the rows behind a figure, rating and survey forms, publishing and the exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from shaobao.core import pdf_fonts
from shaobao.core.pdf_fonts import pdf_font_name
from shaobao.evaluation import selectors
from shaobao.evaluation.models import MonthlyRanking, MonthlySurvey, UnitRating

MONTH = "2026-10"


def test_district_sees_every_unit_and_street(scenario):
    users = scenario.world.users
    units = selectors.unit_indicators(users["coordinator"], MONTH)
    assert {u["code"] for u in units} == {"CGZF", "ZJW", "BH-CG"}
    cg = next(u for u in units if u["code"] == "CGZF")
    assert cg["indicators"]["response_rate"] == {"value": 1.0, "numerator": 2, "denominator": 2}
    assert len(selectors.street_indicators(users["coordinator"], MONTH)) == 2


def test_unit_sees_only_its_own_figures(scenario):
    users = scenario.world.users
    units = selectors.unit_indicators(users["lead_leader"], MONTH)
    assert [u["code"] for u in units] == ["CGZF"]
    assert selectors.street_indicators(users["lead_leader"], MONTH) == []


def test_street_sees_only_its_own_figures(scenario):
    users = scenario.world.users
    streets = selectors.street_indicators(users["dispatcher"], MONTH)
    assert [s["id"] for s in streets] == [scenario.world.street_a.id]
    assert selectors.unit_indicators(users["dispatcher"], MONTH) == []


def test_index_page_renders_tables_charts_and_scoped_rows(scenario, client):
    client.force_login(scenario.world.users["coordinator"])
    response = client.get(reverse("evaluation:index"), {"month": MONTH})
    assert response.status_code == 200
    html = response.content.decode()
    assert "区城管执法局" in html and "兴谷街道" in html
    assert "vendor/echarts/echarts.min.js" in html and "eval-charts" in html
    assert 'title="2 / 3"' in html  # street A's response rate shows its numerator and denominator

    client.force_login(scenario.world.users["lead_leader"])
    html = client.get(reverse("evaluation:index"), {"month": MONTH}).content.decode()
    assert "区城管执法局" in html and "区住房和城乡建设委员会" not in html


def test_drill_down_lists_exactly_the_rows_behind_a_figure(scenario, client):
    w = scenario.world
    result = selectors.drill(
        w.users["coordinator"],
        period=selectors.parse_month(MONTH),
        dim="unit",
        key=w.supporting_unit.id,
        indicator="response_rate",
    )
    summonses = {(i["summons_id"], i["in_numerator"]) for i in result["items"]}
    s = scenario.summonses
    assert summonses == {(s[2].id, False), (s[4].id, False), (s[8].id, True)}

    client.force_login(w.users["coordinator"])
    response = client.get(
        reverse("evaluation:drill"),
        {"month": MONTH, "dim": "street", "key": w.street_a.id, "indicator": "satisfaction_rate"},
    )
    assert response.status_code == 200
    assert response.context["total"] == 5 and response.context["in_numerator"] == 4


def test_drill_down_of_a_units_demands_lists_those_of_whistles_it_led_and_those_assigned_to_it(scenario):
    # The demand path of a unit's drill-down (rewritten for speed in issue 15): demands called back in
    # the month, credited to the unit as the lead of their whistle (D0-D3 for CGZF; not D4, whose whistle
    # it only supported and was withdrawn from) or as the street unit they were assigned to (D5).
    w, d = scenario.world, scenario.demands

    def items(unit):
        result = selectors.drill(
            w.users["coordinator"],
            period=selectors.parse_month(MONTH),
            dim="unit",
            key=unit.id,
            indicator="resolution_rate",
        )
        return {(i["demand_id"], i["in_numerator"]) for i in result["items"]}

    assert items(w.lead_unit) == {(d[0].id, True), (d[1].id, True), (d[2].id, True), (d[3].id, False)}
    assert items(w.section_a) == {(d[5].id, True)}
    assert items(w.supporting_unit) == set()


def test_drill_down_outside_scope_is_not_found(scenario, client):
    w = scenario.world
    client.force_login(w.users["lead_leader"])
    response = client.get(
        reverse("evaluation:drill"),
        {"month": MONTH, "dim": "unit", "key": w.supporting_unit.id, "indicator": "response_rate"},
    )
    assert response.status_code == 404


def test_street_dispatcher_rates_units_of_its_closed_whistle_once(scenario, client):
    w = scenario.world
    url = reverse("evaluation:rate", args=[scenario.whistles[1].id])
    client.force_login(w.users["dispatcher"])
    assert "区城管执法局" in client.get(url).content.decode()
    data = {
        "unit": w.lead_unit.id,
        "cooperation": 5,
        "initiative": 4,
        "quality": 5,
        "comment": "配合积极",
        "confirm": "on",
    }
    client.post(url, data)
    client.post(url, {**data, "cooperation": 1})
    rating = UnitRating.objects.get()
    assert (rating.cooperation, rating.street_id, rating.comment) == (5, w.street_a.id, "配合积极")


def test_other_street_and_units_cannot_rate(scenario, client):
    w = scenario.world
    url = reverse("evaluation:rate", args=[scenario.whistles[1].id])
    data = {"unit": w.lead_unit.id, "cooperation": 5, "initiative": 4, "quality": 5, "confirm": "on"}
    for user in ("dispatcher_b", "lead_handler", "grid_worker"):
        client.force_login(w.users[user])
        client.post(url, data)
    assert not UnitRating.objects.exists()


def test_rating_an_open_whistle_is_refused(scenario):
    from shaobao.core.errors import Conflict
    from shaobao.evaluation.actions import do_rate_unit

    w = scenario.world
    with pytest.raises(Conflict):
        do_rate_unit(
            actor=w.users["dispatcher_b"],
            whistle_id=scenario.whistles[3].id,
            unit_id=w.supporting_unit.id,
            cooperation=3,
            initiative=3,
            quality=3,
        )


def test_monthly_survey_is_saved_once_per_street_unit_month(scenario, client):
    w = scenario.world
    client.force_login(w.users["street_leader"])
    url = reverse("evaluation:survey")
    page = client.get(url, {"month": MONTH}).content.decode()
    assert "区城管执法局" in page
    for c in (3, 5):
        client.post(
            url, {"month": MONTH, "unit": w.lead_unit.id, "cooperation": c, "initiative": 4, "quality": 4}
        )
    survey = MonthlySurvey.objects.get()
    assert survey.cooperation == 5 and survey.month == dt.date(2026, 10, 1)


def test_publish_freezes_the_month_with_its_weight_version(scenario, client):
    from shaobao.evaluation.indicators import current_weights
    from shaobao.evaluation.models import WeightSet

    w = scenario.world
    client.force_login(w.users["dispatcher"])
    client.post(reverse("evaluation:publish"), {"month": MONTH})
    assert not MonthlyRanking.objects.exists()
    client.force_login(w.users["coordinator"])
    client.post(reverse("evaluation:publish"), {"month": MONTH})
    published = MonthlyRanking.objects.get()
    assert published.weight_set == current_weights()
    before = selectors.street_indicators(w.users["coordinator"], MONTH)

    WeightSet.objects.create(version=published.weight_set.version + 1, street_response=1.0)
    after = selectors.street_indicators(w.users["coordinator"], MONTH)
    assert [r["composite"] for r in after] == [r["composite"] for r in before]  # reproducible as published


def test_exports_xlsx_and_pdf(scenario, client):
    from openpyxl import load_workbook

    client.force_login(scenario.world.users["coordinator"])
    response = client.get(reverse("evaluation:export", args=["xlsx"]), {"month": MONTH})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 3
    ws = wb[wb.sheetnames[1]]
    names = [row[2].value for row in ws.iter_rows(min_row=3)]
    assert names[0] == "区城管执法局"
    response = client.get(reverse("evaluation:export", args=["pdf"]), {"month": MONTH})
    # The Chinese font: a TrueType CJK font embedded where the machine has one, else the built-in CID font.
    font_mark = b"/FontFile2" if pdf_font_name() == pdf_fonts.EMBEDDED else b"STSong-Light"
    assert response.content.startswith(b"%PDF") and font_mark in response.content


def test_monthly_report_command_writes_both_files(scenario, tmp_path):
    from django.core.management import call_command

    call_command("monthly_report", month=MONTH, out=str(tmp_path))
    assert (tmp_path / "evaluation-2026-10.xlsx").stat().st_size > 0
    assert (tmp_path / "evaluation-2026-10.pdf").read_bytes().startswith(b"%PDF")


def test_street_sees_its_closed_whistles_awaiting_ratings(scenario, client):
    w = scenario.world
    client.force_login(w.users["dispatcher"])
    to_rate = {x.id for x in selectors.whistles_to_rate(w.users["dispatcher"])}
    assert to_rate == {scenario.whistles[0].id, scenario.whistles[1].id, scenario.whistles[2].id}
    page = client.get(reverse("evaluation:index"), {"month": MONTH}).content.decode()
    assert reverse("evaluation:rate", args=[scenario.whistles[1].id]) in page
    assert selectors.whistles_to_rate(w.users["dispatcher_b"]) == []  # street B closed nothing
    assert selectors.whistles_to_rate(w.users["lead_leader"]) == []


def test_matter_page_is_for_the_district(scenario, client):
    w = scenario.world
    client.force_login(w.users["coordinator"])
    response = client.get(reverse("evaluation:matters"), {"month": MONTH})
    assert response.status_code == 200 and "违法建设" in response.content.decode()
    client.force_login(w.users["dispatcher"])
    assert client.get(reverse("evaluation:matters"), {"month": MONTH}).status_code == 403
