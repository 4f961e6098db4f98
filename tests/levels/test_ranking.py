"""Evaluation above the district: the departments on calls up (30% rated by the callers, as in Weihai), the
city's rankings of districts and city departments, and their exports."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from shaobao.calls import actions, ranking
from shaobao.calls.models import CallAssignment
from shaobao.core.errors import Forbidden
from shaobao.evaluation import extras, levels
from shaobao.evaluation.indicators import Period, current_weights, table
from shaobao.evaluation.rollup import rollup_days
from shaobao.evaluation.scores import street_composite
from tests.evaluation.scenario import AS_OF, build
from tests.factories import UnitFactory
from tests.levels.conftest import fresh


def closed_call(
    city,
    lead="CGZF",
    score=5,
    *,
    late=False,
    caller="dispatcher",
    street=None,
    centre_user="coordinator",
    handler="lead_handler",
):
    street = street or city.world.street_a
    call = actions.do_raise_call(
        actor=city.users[caller], caller_code=street.code, subject="呼叫", body="无法解决"
    )
    actions.do_assign(actor=city.users[centre_user], call_id=call.pk, lead_unit_code=lead)
    a = call.assignments.get()
    if late:  # the report-in deadline had passed when the department reported in
        CallAssignment.objects.filter(pk=a.pk).update(report_in_due=timezone.now() - dt.timedelta(hours=1))
    actions.do_report_in(actor=city.users[handler], assignment_id=a.pk)
    actions.do_finish(actor=city.users[handler], assignment_id=a.pk, note="已办结")
    actions.do_verify(actor=city.users[caller], call_id=call.pk, passed=True, ratings={lead: score})
    return call


def this_month():
    return Period.month(timezone.localdate())


def test_the_callers_rating_weighs_30_percent(city):
    closed_call(city, score=1)  # on time (objective 100), rated 1 of 5 (bottom-up 20)
    row = next(
        r for r in ranking.department_ranking(city.world.district, this_month()) if r["code"] == "CGZF"
    )
    assert row["objective"] == pytest.approx(100)
    assert row["bottom_up"] == pytest.approx(20)
    assert row["composite"] == pytest.approx(0.7 * 100 + 0.3 * 20)
    assert ranking.composite(None, 60) == pytest.approx(60)  # one part missing: the other alone


def test_the_weight_is_a_setting(city, settings):
    settings.CALL_BOTTOM_UP_WEIGHT = 0.5
    closed_call(city, score=1)
    row = next(
        r for r in ranking.department_ranking(city.world.district, this_month()) if r["code"] == "CGZF"
    )
    assert row["composite"] == pytest.approx(60)


def test_late_report_in_lowers_the_objective_and_the_ranking_orders_departments(city):
    closed_call(city, lead="CGZF", score=5, late=True)  # report-in late, finish on time: objective 50
    closed_call(city, lead="ZJW", score=4, handler="supporting_handler")
    rows = ranking.department_ranking(city.world.district, this_month())
    by_code = {r["code"]: r for r in rows}
    assert by_code["CGZF"]["objective"] == pytest.approx(50)
    assert by_code["CGZF"]["composite"] == pytest.approx(0.7 * 50 + 0.3 * 100)
    assert by_code["ZJW"]["composite"] == pytest.approx(0.7 * 100 + 0.3 * 80)
    assert [r["code"] for r in rows if r["rank"]] == ["ZJW", "CGZF"]
    assert by_code["CGZF"]["rank"] == 2


def test_the_figure_shows_beside_the_unit_evaluation(city):
    closed_call(city, score=1)
    figures, values = extras.unit_extras([{"id": city.world.lead_unit.pk}], this_month())
    index = [f.code for f in figures].index("call_composite")
    assert values[city.world.lead_unit.pk][index] == pytest.approx(76.0)


def test_city_rankings_rank_districts_on_the_district_rollup_and_city_departments(city):
    build(city.world)  # October 2026 in Pinggu (tests/evaluation/scenario.py)
    rollup_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31), as_of=AS_OF)
    october = Period.month("2026-10")
    result = levels.city_ranking(fresh(city.users["only_city"]), october)
    rows = {r["code"]: r for r in result["districts"]}
    expected = street_composite(table("district", october)[city.world.district.pk], current_weights())
    assert rows["110117000000"]["composite"] == pytest.approx(expected, abs=1e-4)
    assert rows["110117000000"]["rank"] == 1
    assert rows["110118000000"]["composite"] is None and rows["110118000000"]["rank"] is None
    assert [d["code"] for d in result["departments"]] == ["CITY-ZJW"]


def test_city_rankings_count_calls_and_city_departments(city):
    closed_call(city, score=5)
    closed_call(
        city,
        lead="CITY-ZJW",
        score=3,
        caller="coordinator",
        street=city.world.district,
        centre_user="only_city",
        handler="city_zjw_handler",
    )
    result = levels.city_ranking(fresh(city.users["only_city"]), this_month())
    pinggu = next(r for r in result["districts"] if r["code"] == "110117000000")
    assert (pinggu["calls_received"], pinggu["calls_closed"], pinggu["calls_up"]) == (1, 1, 1)
    assert pinggu["departments_on_calls"] == pytest.approx(100)
    dept = result["departments"][0]
    assert dept["bottom_up"] == pytest.approx(60) and dept["composite"] == pytest.approx(0.7 * 100 + 0.3 * 60)


def test_only_the_city_centre_sees_the_city_rankings(city, web_for):
    for persona in ("coordinator", "miyun_coordinator", "dispatcher"):
        with pytest.raises(Forbidden):
            levels.city_ranking(fresh(city.users[persona]), this_month())
        assert web_for(persona).get("/evaluation/city/").status_code == 403
    assert web_for("only_city").get("/evaluation/city/").status_code == 200
    # A county centre sees its own departments on calls; a street does not.
    assert web_for("coordinator").get("/evaluation/calls/").status_code == 200
    assert web_for("dispatcher").get("/evaluation/calls/").status_code == 403


@pytest.mark.parametrize("path", ["/evaluation/city/", "/evaluation/calls/"])
def test_the_exports_of_the_levels(city, web_for, path):
    from openpyxl import load_workbook

    closed_call(
        city,
        lead="CITY-ZJW",
        score=3,
        caller="coordinator",
        street=city.world.district,
        centre_user="only_city",
        handler="city_zjw_handler",
    )
    month = this_month().label
    client = web_for("only_city")
    xlsx = client.get(path, {"month": month, "format": "xlsx"})
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [
        c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
    ]
    assert "市住房城乡建设委" in cells
    pdf = client.get(path, {"month": month, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(path, {"month": month, "format": "doc"}).status_code == 404
    assert client.get(path, {"month": "2026-13"}).status_code == 400


def page_head(html: str, table_id: str) -> list[str]:
    """The header cells of one table of a page, as shown."""
    table = html[html.index(f'id="{table_id}"') :]
    head = table[: table.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)]


@pytest.mark.parametrize(
    ("path", "table_id", "sheet"),
    [("/evaluation/calls/", "departments", 0), ("/evaluation/city/", "city-departments", 1)],
)
def test_the_department_exports_carry_the_pages_columns_overdue_included(
    city, web_for, path, table_id, sheet
):
    from openpyxl import load_workbook

    from shaobao.evaluation.exports import to_pdf

    closed_call(
        city,
        lead="CITY-ZJW",
        score=3,
        late=True,  # reported in after its deadline: one overdue
        caller="coordinator",
        street=city.world.district,
        centre_user="only_city",
        handler="city_zjw_handler",
    )
    formula = '=HYPERLINK("http://evil.example","x")'  # a department's name is typed by an administrator
    UnitFactory(code="CITY-EVIL", name=formula, kind="city_department", division=city.city)
    client = web_for("only_city")
    month = this_month().label
    page = client.get(path, {"month": month}).content.decode()
    head = page_head(page, table_id)
    with translation.override("zh-hans"):  # the default language: the page's and the export's
        overdue, report_rate = head.index(_("Overdue")), head.index(_("Reported in on time"))

    xlsx = client.get(path, {"month": month, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    if path == "/evaluation/city/":  # the districts' sheet follows its page's table too
        assert [c.value for c in book.worksheets[0][2]] == page_head(page, "districts")
    ws = book.worksheets[sheet]
    rows = list(ws.iter_rows(min_row=2))
    assert [c.value for c in rows[0]] == head
    by_name = {r[1].value: r for r in rows[1:]}
    late = by_name["市住房城乡建设委"]
    assert late[overdue].value == 1
    assert late[report_rate].value == 0 and late[report_rate].number_format == "0.0%"  # a rate: 0.0%
    assert (
        by_name[formula][1].data_type == "s" and by_name[formula][overdue].value == 0
    )  # text, not a formula

    # The pdf is written from the same tables.
    report = (levels.department_report if sheet == 0 else levels.city_report)(
        fresh(city.users["only_city"]), this_month()
    )
    table = report["tables"][sheet]
    assert [str(h) for h in table["head"]] == head
    assert to_pdf(report).startswith(b"%PDF")


def test_the_city_sees_a_district_below_ranked_as_the_district_ranks_it(city, web_for, api_for):
    from shaobao.evaluation.scores import rankings

    build(city.world)  # October 2026 in Pinggu
    rollup_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31), as_of=AS_OF)
    october = Period.month("2026-10")
    own = rankings(city.world.district, october)
    below = levels.district_below(fresh(city.users["only_city"]), "110117", october)
    assert below["district"]["code"] == "110117000000" and below["published_at"] is None
    assert [(r["code"], r["rank"], r["composite"]) for r in below["streets"]] == [
        (r["code"], r["rank"], r["composite"]) for r in own["streets"]
    ]
    assert [(r["code"], r["rank"]) for r in below["units"]] == [(r["code"], r["rank"]) for r in own["units"]]
    assert below["streets"] and below["units"]

    page = web_for("only_city").get("/evaluation/city/110117/", {"month": "2026-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert city.world.street_a.name in html and "平谷区" in html
    # The city's ranking links each district to it.
    assert (
        "/evaluation/city/110117/?month=2026-10"
        in web_for("only_city").get("/evaluation/city/", {"month": "2026-10"}).content.decode()
    )
    xlsx = web_for("only_city").get("/evaluation/city/110117/", {"month": "2026-10", "format": "xlsx"})
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    # The export's columns are the page's, in the page's order.
    sheets = load_workbook(io.BytesIO(xlsx.content)).worksheets
    for table_id, sheet in zip(("streets", "units"), sheets, strict=True):
        heads = re.findall(r"<th[^>]*>([^<]+)</th>", html.split(f'id="{table_id}"')[1].split("</thead>")[0])
        exported = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == heads[0])]
        assert [str(h) for h in exported if h is not None] == heads

    api = api_for("only_city").get("/api/v1/evaluation/city/districts/110117000000", {"month": "2026-10"})
    assert api.status_code == 200
    assert [r["code"] for r in api.json()["units"]] == [r["code"] for r in below["units"]]


def test_only_its_city_centre_looks_below_and_only_into_its_districts(city, web_for, api_for):
    for persona in (
        "coordinator",
        "miyun_coordinator",
        "dispatcher",
    ):  # a county sees its own pages, not this
        assert web_for(persona).get("/evaluation/city/110117/").status_code == 403
        assert api_for(persona).get("/api/v1/evaluation/city/districts/110117").status_code == 403
    client = web_for("only_city")
    assert client.get("/evaluation/city/110118/").status_code == 200  # Miyun: no figures yet, still a page
    assert client.get("/evaluation/city/110119/").status_code == 404  # not a district of the city
    assert client.get("/evaluation/city/110117001/").status_code == 404  # a street is not a district
    assert api_for("only_city").get("/api/v1/evaluation/city/districts/310101").status_code == 404
