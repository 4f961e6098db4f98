"""Any date range besides the month: parsing and refusals, the figures of a range against figures worked
out by hand (the hand-built October of scenario.py, cut at October 15), a range that is exactly a month
giving that month's figures, and the pages, exports and command carrying the range through.

In October 1–15 (local days) of the scenario, by date:
  S1 (W1, street A, CGZF lead)   summoned Oct 8, report-in due Oct 9, reported in after 2 h   on time
  S2 (W1, street A, ZJW supp)    summoned Oct 8, report-in due Oct 9, reported in after 30 h  late
  S3 (W2, street A, CGZF lead)   summoned Oct 12, due Oct 13, reported after 1 h, extension   on time
  W1 closed Oct 10 (lead CGZF, not reworked). No finish deadline falls before Oct 17.
  Callbacks: D0 Oct 2 (CGZF via W0, satisfied), D1 and D2 Oct 12 (CGZF via W1, satisfied / basically),
  D5 Oct 15 09:00 (street A, self-handled by BH-CG, satisfied); all solved. (D3 Oct 26, D6 Oct 16: out.)
  Received: D1, D2 (Oct 8), D3 (Oct 12), D5 (Oct 14), all street A; D6 (Oct 15, street B); D7 merged.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from shaobao.evaluation import selectors
from shaobao.evaluation.indicators import COUNTERS, Period, table
from shaobao.evaluation.scores import rankings
from shaobao.evaluation.selectors import BadPeriod, parse_period
from tests.evaluation.scenario import AS_OF, approx, fig

OCT = Period.month("2026-10")
FIRST_HALF = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 15))
SECOND_HALF = Period(dt.date(2026, 10, 16), dt.date(2026, 10, 31))
RANGE = {"from": "2026-10-01", "to": "2026-10-15"}


# --- parsing ----------------------------------------------------------------------------------------------


def test_month_range_and_default():
    assert parse_period("2026-10") == OCT
    assert parse_period(None, "2026-10-01", "2026-10-15") == FIRST_HALF
    assert FIRST_HALF.label == "2026-10-01~2026-10-15" and not FIRST_HALF.is_month
    assert FIRST_HALF.query == RANGE and FIRST_HALF.days == 15
    # A range that is exactly a calendar month is that month.
    whole = parse_period("", "2026-10-01", "2026-10-31")
    assert (
        whole == OCT and whole.is_month and whole.label == "2026-10" and whole.query == {"month": "2026-10"}
    )
    # Nothing (or empty strings, as an empty form sends): the last complete month.
    today = timezone.localdate()
    assert (
        parse_period()
        == parse_period("", "", "")
        == Period.month(today.replace(day=1) - dt.timedelta(days=1))
    )
    # One day, and the longest range allowed (366 days, ending today).
    assert parse_period(None, "2026-10-15", "2026-10-15").days == 1
    assert parse_period(None, (today - dt.timedelta(days=365)).isoformat(), today.isoformat()).days == 366


@pytest.mark.parametrize(
    ("month", "first", "last", "fields", "english"),
    [
        ("2026-13", None, None, {"month"}, "The month must be written YYYY-MM"),
        ("october", None, None, {"month"}, "The month must be written YYYY-MM"),
        (None, "2026-10-32", "2026-10-15", {"from"}, "Dates must be written YYYY-MM-DD"),
        (None, "2026-10-01", "15/10/2026", {"to"}, "Dates must be written YYYY-MM-DD"),
        (None, "20261001", "2026-10-15", {"from"}, "Dates must be written YYYY-MM-DD"),
        (None, "2026-10-01", None, {"to"}, "needs both its first day (from) and its last day (to)"),
        (None, None, "2026-10-15", {"from"}, "needs both its first day (from) and its last day (to)"),
        ("2026-10", "2026-10-01", "2026-10-15", {"month", "from", "to"}, "not both"),
        (None, "2026-10-15", "2026-10-01", {"from", "to"}, "must not be after the last day"),
        (None, "2025-01-01", "2026-01-02", {"from", "to"}, "at most 366 days"),
        (None, "1999-12-01", "1999-12-31", {"from"}, "Dates before 2000-01-01 are not kept"),
    ],
)
def test_bad_periods_are_refused_in_chinese_and_english(month, first, last, fields, english):
    with pytest.raises(BadPeriod) as caught:
        parse_period(month, first, last)
    exc = caught.value
    assert exc.status == 400 and exc.code == "invalid"
    assert set(exc.fields) == fields
    zh, en = exc.message.split(" / ")
    assert english in en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh  # the Chinese half is Chinese
    with translation.override("en"):
        assert english in exc.localized()
    with translation.override("zh-hans"):
        assert exc.localized() == zh


def test_a_range_may_not_end_in_the_future():
    today = timezone.localdate()
    with pytest.raises(BadPeriod) as caught:
        parse_period(None, today.isoformat(), (today + dt.timedelta(days=1)).isoformat())
    assert set(caught.value.fields) == {"to"} and today.isoformat() in caught.value.message
    assert parse_period(None, today.isoformat(), today.isoformat()).days == 1  # today itself is fine


# --- figures ----------------------------------------------------------------------------------------------


def test_range_indicators_match_hand_figures(scenario):
    w = scenario.world
    units = table("unit", FIRST_HALF)
    cg, zj = units[w.lead_unit.id], units[w.supporting_unit.id]
    # CGZF: S1, S3 reported in on time (2 h, 1 h); nothing due to finish; callbacks D0, D1, D2.
    assert fig(cg, "response_rate") == (2, 2)
    assert cg["on_time_rate"].value is None and cg["overdue_count"].num == 0
    assert fig(cg, "resolution_rate") == (3, 3)
    assert cg["satisfaction_rate"].num == approx(2 * 1.0 + 0.8) and cg["satisfaction_rate"].den == 3
    assert fig(cg, "rework_rate") == (0, 1)  # W1 closed Oct 10, not reworked
    assert fig(cg, "extension_rate") == (1, 2)  # S3
    assert fig(cg, "dispute_rate") == (0, 2)
    assert cg["avg_report_hours"] == approx(1.5) and cg["p90_report_hours"] == 2
    assert cg["avg_finish_hours"] is None
    # ZJW: S2 only, late (30 h).
    assert fig(zj, "response_rate") == (0, 1)
    assert zj["avg_report_hours"] == approx(30) and zj["p90_report_hours"] == 30
    assert w.section_a.id in units and fig(units[w.section_a.id], "resolution_rate") == (1, 1)  # D5, Oct 15

    streets = table("street", FIRST_HALF)
    a, b = streets[w.street_a.id], streets[w.street_b.id]
    assert fig(a, "response_rate") == (2, 3)
    assert a["on_time_rate"].value is None
    assert fig(a, "resolution_rate") == (4, 4)  # D0, D1, D2, D5
    assert a["satisfaction_rate"].num == approx(3 + 0.8) and a["satisfaction_rate"].den == 4
    assert a["avg_report_hours"] == approx((2 + 30 + 1) / 3) and a["p90_report_hours"] == 30
    assert a["volume"]["received"] == 4 and a["volume"]["summoned"] == 3
    assert b["volume"]["received"] == 1 and b["response_rate"].value is None  # D6 only

    district = table("district", FIRST_HALF)[w.district.id]
    assert fig(district, "response_rate") == (2, 3)
    assert fig(district, "resolution_rate") == (4, 4)
    assert fig(district, "extension_rate") == (1, 3)
    assert district["volume"]["received"] == 5

    matters = table("matter", FIRST_HALF)
    assert fig(matters[w.matter.id], "response_rate") == (2, 3)
    assert scenario.matter2.id not in matters or matters[scenario.matter2.id]["response_rate"].value is None


@pytest.mark.parametrize("dim", ["unit", "street", "matter", "district"])
def test_range_from_rollup_equals_raw_rows_and_halves_add_up_to_the_month(scenario, dim):
    for period in (FIRST_HALF, SECOND_HALF):
        rolled, raw = table(dim, period), table(dim, period, raw=True, as_of=AS_OF)
        assert {k: v["counters"] for k, v in rolled.items()} == {k: v["counters"] for k, v in raw.items()}
        for key in rolled:
            assert rolled[key]["p90_report_hours"] == raw[key]["p90_report_hours"]
    first, second, month = table(dim, FIRST_HALF), table(dim, SECOND_HALF), table(dim, OCT)
    for key, cell in month.items():
        for c in COUNTERS:
            halves = first.get(key, {}).get("counters", {}).get(c, 0) + second.get(key, {}).get(
                "counters", {}
            ).get(c, 0)
            assert halves == cell["counters"][c], (key, c)


def test_range_rankings_match_hand_composites_without_a_change_of_rank(scenario):
    w = scenario.world
    result = rankings(w.district, FIRST_HALF)
    assert result["period"] == "2026-10-01~2026-10-15" and result["published_at"] is None
    units = {row["code"]: row for row in result["units"]}
    # Ranked: the units summoned in the range (BH-CG only had a self-handled callback).
    assert set(units) == {"CGZF", "ZJW"}
    # CGZF: no bottom-up data; objective = (response 1 + resolution 1 + satisfaction 2.8/3) / 3 (no on-time).
    assert units["CGZF"]["composite"] == pytest.approx((1 + 1 + 2.8 / 3) / 3 * 100, abs=1e-4)
    assert units["ZJW"]["composite"] == approx(0)  # response 0/1 is all it has
    assert [units[c]["rank"] for c in ("CGZF", "ZJW")] == [1, 2]
    assert all("change" not in row for row in result["units"] + result["streets"])  # months only
    streets = {row["code"]: row for row in result["streets"]}
    # Street A: 0.30·2/3 + 0.35·4/4 + 0.35·3.8/4 = 88.25; street B has no rate at all.
    assert streets[w.street_a.code]["composite"] == pytest.approx(88.25, abs=1e-4)
    assert streets[w.street_b.code]["composite"] is None and streets[w.street_b.code]["rank"] is None


def test_a_range_that_is_exactly_the_month_gives_the_months_figures(scenario):
    user = scenario.world.users["coordinator"]
    as_range = selectors.ranking_for(user, parse_period(None, "2026-10-01", "2026-10-31"))
    as_month = selectors.ranking_for(user, parse_period("2026-10"))
    assert as_range == as_month
    assert {r["code"]: r["change"] for r in as_range["units"]} == {"CGZF": 0, "ZJW": None, "BH-CG": None}
    # (The daily rows summed over the two halves give the month's counters: see the test above.)


# --- pages ------------------------------------------------------------------------------------------------


def test_index_page_shows_a_range_and_carries_it_into_every_link(scenario, client):
    client.force_login(scenario.world.users["coordinator"])
    response = client.get(reverse("evaluation:index"), RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-10-01~2026-10-15" in html
    assert 'title="2 / 3"' in html  # street A's response rate in the range
    assert "from=2026-10-01&amp;to=2026-10-15" in html  # drill-down, export and matter links
    assert "month=2026-10&amp;" not in html and "&amp;month=" not in html
    assert 'type="date" name="from" value="2026-10-01"' in html and 'name="to" value="2026-10-15"' in html
    assert 'type="month" name="month" value="2026-10"' in html
    assert "<th>名次变化</th>" not in html  # no change of rank for a range
    assert reverse("evaluation:publish") not in html  # months are published whole
    assert [r["code"] for r in response.context["result"]["units"]] == ["CGZF", "ZJW"]

    month_html = client.get(reverse("evaluation:index"), {"month": "2026-10"}).content.decode()
    assert "<th>名次变化</th>" in month_html and "month=2026-10" in month_html


def test_matters_and_drill_down_over_a_range(scenario, client):
    w = scenario.world
    client.force_login(w.users["coordinator"])
    response = client.get(reverse("evaluation:matters"), RANGE)
    assert response.status_code == 200
    assert "from=2026-10-01&amp;to=2026-10-15" in response.content.decode()
    rows = {m["id"]: m for m in response.context["matters"]}
    assert rows[w.matter.id]["indicators"]["response_rate"]["numerator"] == 2

    response = client.get(
        reverse("evaluation:drill"),
        {**RANGE, "dim": "street", "key": w.street_a.id, "indicator": "response_rate"},
    )
    assert response.status_code == 200
    assert response.context["total"] == 3 and response.context["in_numerator"] == 2  # S1, S2, S3
    html = response.content.decode()
    assert "from=2026-10-01&amp;to=2026-10-15&only=num" in html


@pytest.mark.parametrize(
    ("params", "zh", "en"),
    [
        ({"from": "2026-10-15", "to": "2026-10-01"}, "不能晚于最后一天", "must not be after the last day"),
        ({"from": "2026-1-1", "to": "2026-10-01"}, "日期应写作", "Dates must be written YYYY-MM-DD"),
        ({"from": "2025-01-01", "to": "2026-10-01"}, "最长 366 天", "at most 366 days"),
        ({"from": "2026-10-01"}, "须同时给出", "needs both"),
        ({"month": "2026-10", **RANGE}, "不能同时给出", "not both"),
        ({"month": "2026-99"}, "月份应写作", "The month must be written"),
    ],
)
def test_bad_period_on_a_page_is_a_clear_400_in_the_users_language(scenario, client, params, zh, en):
    client.force_login(scenario.world.users["coordinator"])
    for name in ("index", "matters", "export_xlsx"):
        url = (
            reverse("evaluation:export", args=["xlsx"])
            if name == "export_xlsx"
            else reverse(f"evaluation:{name}")
        )
        response = client.get(url, params)
        assert response.status_code == 400, name
        html = response.content.decode()
        assert zh in html and 'role="alert"' in html, name
        assert 'type="date" name="from"' in html  # the forms to choose again
    response = client.get(reverse("evaluation:index"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and en in response.content.decode()


def test_future_range_on_a_page_is_refused(scenario, client):
    client.force_login(scenario.world.users["coordinator"])
    today = timezone.localdate()
    response = client.get(
        reverse("evaluation:index"),
        {"from": today.isoformat(), "to": (today + dt.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()


def test_export_of_a_range(scenario, client):
    import io

    from openpyxl import load_workbook

    client.force_login(scenario.world.users["coordinator"])
    response = client.get(reverse("evaluation:export", args=["xlsx"]), RANGE)
    assert response.status_code == 200
    assert 'filename="evaluation-2026-10-01_2026-10-15.xlsx"' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert "2026-10-01~2026-10-15" in wb[wb.sheetnames[0]]["A1"].value


def test_monthly_report_command_takes_a_range(scenario, tmp_path):
    call_command("monthly_report", date_from="2026-10-01", date_to="2026-10-15", out=str(tmp_path))
    assert (tmp_path / "evaluation-2026-10-01_2026-10-15.xlsx").stat().st_size > 0
    assert (tmp_path / "evaluation-2026-10-01_2026-10-15.pdf").read_bytes().startswith(b"%PDF")
    call_command("monthly_report", date_from="2026-10-01", date_to="2026-10-31", out=str(tmp_path))
    assert (tmp_path / "evaluation-2026-10.xlsx").exists()  # exactly a month: the month's report
    with pytest.raises(CommandError, match="not both"):
        call_command("monthly_report", month="2026-10", date_from="2026-10-01", date_to="2026-10-15")
    with pytest.raises(CommandError, match="must not be after"):
        call_command("monthly_report", date_from="2026-10-15", date_to="2026-10-01", out=str(tmp_path))
