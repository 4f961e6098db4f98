"""Evaluation figures through the API: fractions with numerators and denominators, scoped like the pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests.api.conftest import assert_error
from tests.api.test_workflow import blow, ok, receive, summons_of


@pytest.fixture
def month_with_a_whistle(world, api_as):
    """One whistle whose lead unit reported in on time, the rollup run; yields the month the report-in was due.

    On a fixed Tuesday in mid-month: the report-in is due the next day, which on a month's last day would
    be a month not begun yet (whose figures are empty)."""
    from shaobao.evaluation.rollup import rollup_recent

    with time_machine.travel(dt.datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
        whistle = blow(dispatcher, receive(dispatcher)["id"])
        summons = summons_of(whistle, "CGZF")
        ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
        rollup_recent()
        due = timezone.datetime.fromisoformat(summons["report_in_due"])
        yield f"{timezone.localtime(due):%Y-%m}"


def test_unit_figures_are_fractions_with_counts(world, api_as, month_with_a_whistle):
    body = ok(api_as("coordinator").get("/api/v1/evaluation/units", {"month": month_with_a_whistle}))
    assert body["month"] == month_with_a_whistle
    lead = next(row for row in body["results"] if row["code"] == "CGZF")
    response_rate = lead["indicators"]["response_rate"]
    assert response_rate == {"value": 1.0, "numerator": 1.0, "denominator": 1.0}
    assert "composite" in lead and "bottom_up" in lead


def test_a_unit_sees_only_its_own_row(world, api_as, month_with_a_whistle):
    body = ok(api_as("lead_handler").get("/api/v1/evaluation/units", {"month": month_with_a_whistle}))
    assert [row["code"] for row in body["results"]] == ["CGZF"]
    assert body["count"] == 1
    other = ok(api_as("supporting_handler").get("/api/v1/evaluation/units", {"month": month_with_a_whistle}))
    assert "CGZF" not in [row["code"] for row in other["results"]]


def test_streets_endpoint(world, api_as, month_with_a_whistle):
    body = ok(api_as("coordinator").get("/api/v1/evaluation/streets", {"month": month_with_a_whistle}))
    assert body["month"] == month_with_a_whistle
    for row in body["results"]:
        assert set(row["indicators"]["response_rate"]) == {"value", "numerator", "denominator"}
    hidden = ok(api_as("dispatcher_b").get("/api/v1/evaluation/streets", {"month": month_with_a_whistle}))
    assert "110117001000" not in [row["code"] for row in hidden["results"]]


def test_bad_month_is_400(world, api_as):
    error = assert_error(api_as("coordinator").get("/api/v1/evaluation/units", {"month": "2026-13"}), 400)
    assert "month" in error["fields"]


def test_evaluation_needs_a_token(world, anon):
    assert_error(anon.get("/api/v1/evaluation/streets"), 401)


# --- any date range (?from=YYYY-MM-DD&to=YYYY-MM-DD) instead of a month ------------------------------------


@pytest.fixture
def october(world):
    """The hand-built October of tests/evaluation/scenario.py, rolled up."""
    import datetime as dt

    from shaobao.evaluation.rollup import rollup_days
    from tests.evaluation.scenario import AS_OF, build

    sc = build(world)
    rollup_days(dt.date(2026, 9, 1), dt.date(2026, 11, 30), as_of=AS_OF)
    return sc


def test_range_figures_match_hand_figures(world, api_as, october):
    # October 1–15 (see tests/evaluation/test_periods.py): CGZF reported in on time twice (S1, S3) and had
    # three callbacks (D0, D1, D2: satisfied, satisfied, basically satisfied); ZJW reported in late once.
    coordinator = api_as("coordinator")
    body = ok(coordinator.get("/api/v1/evaluation/units", {"from": "2026-10-01", "to": "2026-10-15"}))
    assert body["month"] is None and body["period"] == "2026-10-01~2026-10-15"
    assert (body["from"], body["to"]) == ("2026-10-01", "2026-10-15")
    assert body["published_at"] is None and body["count"] == 2
    units = {row["code"]: row for row in body["results"]}
    cg, zj = units["CGZF"]["indicators"], units["ZJW"]["indicators"]
    assert cg["response_rate"] == {"value": 1.0, "numerator": 2, "denominator": 2}
    assert cg["resolution_rate"] == {"value": 1.0, "numerator": 3, "denominator": 3}
    assert (
        cg["satisfaction_rate"]["numerator"] == pytest.approx(2.8)
        and cg["satisfaction_rate"]["denominator"] == 3
    )
    assert cg["on_time_rate"]["value"] is None and cg["avg_report_hours"] == 1.5
    assert zj["response_rate"] == {"value": 0.0, "numerator": 0, "denominator": 1}
    assert units["CGZF"]["composite"] == pytest.approx((1 + 1 + 2.8 / 3) / 3 * 100, abs=1e-4)
    assert units["CGZF"]["rank"] == 1 and units["CGZF"]["change"] is None  # no change of rank for a range

    streets = ok(coordinator.get("/api/v1/evaluation/streets", {"from": "2026-10-01", "to": "2026-10-15"}))
    a = next(row for row in streets["results"] if row["code"] == world.street_a.code)
    assert a["indicators"]["response_rate"] == {
        "value": pytest.approx(2 / 3),
        "numerator": 2,
        "denominator": 3,
    }
    assert a["indicators"]["resolution_rate"] == {"value": 1.0, "numerator": 4, "denominator": 4}
    assert a["composite"] == pytest.approx(0.30 * 2 / 3 * 100 + 35 + 0.35 * 3.8 / 4 * 100, abs=1e-4)


def test_range_that_is_exactly_the_month_equals_the_month(world, api_as, october):
    coordinator = api_as("coordinator")
    for path in ("/api/v1/evaluation/units", "/api/v1/evaluation/streets"):
        as_month = ok(coordinator.get(path, {"month": "2026-10"}))
        as_range = ok(coordinator.get(path, {"from": "2026-10-01", "to": "2026-10-31"}))
        assert as_range == as_month
        assert as_month["month"] == "2026-10" and (as_month["from"], as_month["to"]) == (
            "2026-10-01",
            "2026-10-31",
        )


def test_range_is_scoped_like_the_month(world, api_as, october):
    body = ok(
        api_as("lead_handler").get("/api/v1/evaluation/units", {"from": "2026-10-01", "to": "2026-10-15"})
    )
    assert [row["code"] for row in body["results"]] == ["CGZF"]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"month": "2026-10", "from": "2026-10-01", "to": "2026-10-15"}, {"month", "from", "to"}),
        ({"from": "2026-10-01"}, {"to"}),
        ({"to": "2026-10-15"}, {"from"}),
        ({"from": "2026-10-xx", "to": "2026-10-15"}, {"from"}),
        ({"from": "2026-10-01", "to": "2026-02-30"}, {"to"}),
        ({"from": "2026-10-15", "to": "2026-10-01"}, {"from", "to"}),
        ({"from": "2025-01-01", "to": "2026-01-02"}, {"from", "to"}),
    ],
)
def test_bad_range_is_400(world, api_as, params, fields):
    for path in ("/api/v1/evaluation/units", "/api/v1/evaluation/streets"):
        error = assert_error(api_as("coordinator").get(path, params), 400, "invalid")
        assert set(error["fields"]) == fields


def test_range_ending_in_the_future_is_400(world, api_as):
    import datetime as dt

    today = timezone.localdate()
    params = {"from": today.isoformat(), "to": (today + dt.timedelta(days=1)).isoformat()}
    error = assert_error(api_as("coordinator").get("/api/v1/evaluation/units", params), 400, "invalid")
    assert set(error["fields"]) == {"to"} and "today" in error["message"]


def test_openapi_documents_the_period_parameters(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/evaluation/units", "/api/v1/evaluation/streets"):
        operation = schema["paths"][path]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert {"month", "from", "to"} <= set(params)
        assert "YYYY-MM-DD" in params["from"]["description"] and "366" in params["to"]["description"]
        assert "400" in operation["responses"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert {"month", "period", "from", "to"} <= set(schema["components"]["schemas"][ref]["properties"])
