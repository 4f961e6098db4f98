"""Deadlines are pure functions of start, limits and the business calendar (China's holidays)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import override_settings

from shaobao.whistles import deadlines

TZ = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def test_report_in_limits_per_whistle_type():
    start = at(2026, 3, 2, 9, 0)
    assert deadlines.report_in_due(start, "emergency") == at(2026, 3, 2, 9, 30)
    assert deadlines.report_in_due(start, "priority") == at(2026, 3, 2, 11, 0)
    assert deadlines.report_in_due(start, "routine") == at(2026, 3, 3, 9, 0)


@override_settings(REPORT_IN_LIMITS_MINUTES={"emergency": 10, "priority": 60, "routine": 120})
def test_report_in_limits_come_from_settings():
    assert deadlines.report_in_due(at(2026, 3, 2, 9, 0), "emergency") == at(2026, 3, 2, 9, 10)


def test_finish_due_in_working_days_skips_the_national_day_golden_week():
    # Blown on Wednesday 30 September 2026; 1-7 October are holidays, Saturday 10 October is a workday.
    start = at(2026, 9, 30, 10, 0)
    due = deadlines.finish_due(start, time_limit=7, time_limit_unit="working_days")
    # 8, 9, 10 (swapped Saturday), 12, 13, 14, 15 October
    assert due == at(2026, 10, 15, 10, 0)


def test_one_working_day_from_friday_lands_on_a_swapped_sunday_workday():
    # Sunday 20 September 2026 is a working day (swapped for the National Day holiday).
    assert deadlines.finish_due(at(2026, 9, 18, 15, 0), time_limit=1, time_limit_unit="working_days") == at(
        2026, 9, 20, 15, 0
    )


def test_finish_due_in_hours_and_calendar_days_ignores_holidays():
    start = at(2026, 9, 30, 10, 0)
    assert deadlines.finish_due(start, time_limit=48, time_limit_unit="hours") == at(2026, 10, 2, 10, 0)
    assert deadlines.finish_due(start, time_limit=3, time_limit_unit="calendar_days") == at(
        2026, 10, 3, 10, 0
    )


def test_without_a_matter_limit_the_default_working_days_apply():
    start = at(2026, 3, 2, 9, 0)  # a Monday
    assert deadlines.finish_due(start) == at(2026, 3, 11, 9, 0)  # 7 working days ("general")
    assert deadlines.finish_due(start, whistle_type="priority") == at(2026, 3, 23, 9, 0)  # 15 ("complex")


def test_warning_at_75_percent_of_the_span():
    start = at(2026, 3, 2, 8, 0)
    d = deadlines.summons_deadlines(start, whistle_type="routine", time_limit=4, time_limit_unit="hours")
    assert d.report_in_warn_at == at(2026, 3, 2, 8, 0) + dt.timedelta(hours=18)
    assert d.finish_due == at(2026, 3, 2, 12, 0)
    assert d.finish_warn_at == at(2026, 3, 2, 11, 0)


@override_settings(WARNING_FRACTION=0.5)
def test_warning_fraction_comes_from_settings():
    assert deadlines.warn_at(at(2026, 3, 2, 8, 0), at(2026, 3, 2, 12, 0)) == at(2026, 3, 2, 10, 0)


def test_extension_adds_working_days_across_the_holiday():
    due = at(2026, 9, 30, 17, 0)
    start = at(2026, 9, 21, 17, 0)
    new_due, new_warn = deadlines.extend_finish(due, 3, start=start)
    assert new_due == at(2026, 10, 10, 17, 0)  # 8, 9, 10 October (Saturday 10th is a workday)
    assert new_warn == deadlines.warn_at(start, new_due)


def test_clock_start_is_recovered_from_due_and_warning():
    start = at(2026, 3, 2, 8, 0)
    due = at(2026, 3, 6, 8, 0)
    assert deadlines.clock_start(due, deadlines.warn_at(start, due)) == start
