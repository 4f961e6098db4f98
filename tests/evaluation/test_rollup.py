"""The rollup table gives exactly the figures recomputed from the raw rows, for every dimension and period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from shaobao.evaluation.indicators import Period, plain, table
from shaobao.evaluation.models import DailyRollup, RollupRun
from shaobao.evaluation.rollup import rollup_days
from shaobao.whistles.models import Summons
from tests.evaluation.scenario import AS_OF, build, t

PERIODS = [
    Period.month("2026-10"),
    Period.month("2026-09"),
    Period(dt.date(2026, 10, 9), dt.date(2026, 10, 21)),
    Period(dt.date(2026, 9, 25), dt.date(2026, 11, 15)),
]


@pytest.mark.parametrize("dim", ["unit", "street", "matter", "district"])
def test_rollup_equals_recomputation_from_raw_rows(world, dim):
    build(world)
    rollup_days(dt.date(2026, 8, 1), dt.date(2026, 12, 31), as_of=AS_OF)
    for period in PERIODS:
        from_rollup = {k: plain(v) for k, v in table(dim, period).items()}
        from_raw = {k: plain(v) for k, v in table(dim, period, raw=True, as_of=AS_OF).items()}
        assert from_rollup == from_raw, period
        assert from_rollup  # the scenario has facts in every period and dimension


def test_rebuilding_days_picks_up_late_changes_and_is_idempotent(world):
    sc = build(world)
    rollup_days(dt.date(2026, 9, 1), dt.date(2026, 11, 30), as_of=AS_OF)
    rows = DailyRollup.objects.count()
    rollup_days(dt.date(2026, 9, 1), dt.date(2026, 11, 30), as_of=AS_OF)
    assert DailyRollup.objects.count() == rows

    # S6's unit finally reports in after the dispute is rejected: the next pass sees it.
    Summons.objects.filter(pk=sc.summonses[6].pk).update(state="reported_in", reported_in_at=t(10, 31, 10))
    rollup_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31), as_of=AS_OF)
    sec = table("unit", Period.month("2026-10"))[world.section_a.id]
    assert sec["avg_report_hours"] == pytest.approx(11 * 24 + 1)
    assert plain(sec) == plain(
        table("unit", Period.month("2026-10"), raw=True, as_of=AS_OF)[world.section_a.id]
    )


def test_rollup_command_rebuilds_from_since(world):
    build(world)
    call_command("rollup_evaluation", since="2026-09-01", until="2026-11-30")
    run = RollupRun.objects.get()
    assert run.first_day == dt.date(2026, 9, 1) and run.rows > 0
    assert table("street", Period.month("2026-10"))


def test_durations_truncate_fractions_of_a_second_like_python(world):
    """12:00:00.9996 → 13:00:00.0001 is 3,600 s from the truncated timestamps, on every database."""
    sc = build(world)
    s1 = sc.summonses[1]
    Summons.objects.filter(pk=s1.pk).update(
        summoned_at=t(10, 8, 9) + dt.timedelta(microseconds=999_600),
        reported_in_at=t(10, 8, 10) + dt.timedelta(microseconds=100),
    )
    rollup_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31), as_of=AS_OF)
    period = Period.month("2026-10")
    rolled = table("unit", period)[world.lead_unit.id]["counters"]["report_secs"]
    raw = table("unit", period, raw=True, as_of=AS_OF)[world.lead_unit.id]["counters"]["report_secs"]
    assert rolled == raw == 3600 + 3600  # S1 (1 h) and S3 (1 h)
