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


def _rollup_rows() -> tuple[list, list]:
    from shaobao.evaluation.models import MonthlyRollup
    from shaobao.evaluation.rollup import DAILY_COLUMNS

    # Daily rows without their fine histograms: PostgreSQL keeps those per month only (months are
    # rebuilt whole there), SQLite re-sums months from them.
    columns = [c for c in DAILY_COLUMNS if c not in ("report_hist", "finish_hist")]
    daily = sorted(DailyRollup.objects.values_list(*columns), key=lambda r: (r[1], r[2], r[0]))
    monthly = sorted(
        MonthlyRollup.objects.values_list("dim", "key", "month", *DAILY_COLUMNS[3:-82]),
        key=lambda r: r[:3],
    )
    return daily, monthly


def test_sql_rollup_rows_equal_the_row_by_row_facts(world):
    """Every daily and monthly row (counters, fine and coarse histograms) of the database's aggregation
    (set-based SQL on PostgreSQL, ORM aggregates on SQLite) equals the one summed from `facts` in Python."""
    build(world)
    rollup_days(dt.date(2026, 8, 1), dt.date(2026, 12, 31), as_of=AS_OF, in_python=True)
    from_facts = _rollup_rows()
    rollup_days(dt.date(2026, 8, 1), dt.date(2026, 12, 31), as_of=AS_OF)
    assert _rollup_rows() == from_facts
    assert from_facts[0] and from_facts[1]


def test_coarse_buckets_are_runs_of_fine_buckets_and_bound_the_p90():
    from shaobao.evaluation.facts import COARSE_BOUNDS, coarsen, hours_bucket
    from shaobao.evaluation.indicators import p90

    assert list(COARSE_BOUNDS) == sorted(set(COARSE_BOUNDS))
    for bound in COARSE_BOUNDS:
        assert hours_bucket(bound * 3600) == bound  # each bound is a fine bucket: no fine bucket is split
    fine = {str(hours_bucket(h * 3600)): 1 for h in (1, 5, 7, 30, 100, 200, 300, 400, 470, 700)}
    coarse = coarsen(fine)
    assert sum(coarse.values()) == sum(fine.values())
    assert p90(fine) == 474 and p90(coarse) == 504  # the coarse bucket (432, 504] holding the fine p90


def test_rollup_of_a_generated_year_equals_the_raw_recomputation(db):
    """The benchmark's generated history (a year, every state), small: rollup == raw rows, every dimension,
    for the last full month (fine histograms) and a 30-day range across two months (coarse histograms)."""
    from django.db import connection
    from django.utils import timezone

    from bench.bench_evaluation import _Dialect, _generate_sql, _reference_data

    _district, streets, units, matters, user, _coordinator = _reference_data()
    now = timezone.now()
    with connection.cursor() as cursor:
        counts, _timings = _generate_sql(
            cursor, _Dialect(connection.vendor), 2000, streets, units, matters, user, now
        )
    assert counts["intake_demand"] == 2000 and counts["whistles_summons"] >= 600
    today = timezone.localdate(now)
    rollup_days(today - dt.timedelta(days=400), today + dt.timedelta(days=62), as_of=now)
    month = Period.month(today.replace(day=1) - dt.timedelta(days=1))
    periods = [month, Period(month.first + dt.timedelta(days=10), month.last + dt.timedelta(days=10))]
    for dim in ("unit", "street", "matter", "district"):
        for period in periods:
            from_rollup = {k: plain(v) for k, v in table(dim, period).items()}
            from_raw = {k: plain(v) for k, v in table(dim, period, raw=True, as_of=now).items()}
            assert from_rollup == from_raw, (dim, period)
            assert from_rollup
