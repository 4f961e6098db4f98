"""Evaluation figures through the API: fractions with numerators and denominators, scoped like the pages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.api.conftest import assert_error
from tests.api.test_workflow import blow, ok, receive, summons_of


@pytest.fixture
def month_with_a_whistle(world, api_as) -> str:
    """One whistle whose lead unit reported in on time, the rollup run; returns the month the report-in was due."""
    from shaobao.evaluation.rollup import rollup_recent

    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    whistle = blow(dispatcher, receive(dispatcher)["id"])
    summons = summons_of(whistle, "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    rollup_recent()
    due = timezone.datetime.fromisoformat(summons["report_in_due"])
    return f"{timezone.localtime(due):%Y-%m}"


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
