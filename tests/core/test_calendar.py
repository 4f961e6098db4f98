import datetime as dt
from zoneinfo import ZoneInfo

from shaobao.core.calendar import add_time_limit, add_working_days, is_workday

TZ = ZoneInfo("Asia/Shanghai")


def test_national_day_holidays_are_not_working_days():
    assert not is_workday(dt.date(2026, 10, 1))
    assert not is_workday(dt.date(2026, 10, 7))


def test_swapped_weekend_workday_counts():
    # 2026-09-20 is a Sunday worked in exchange for the National Day holiday.
    assert dt.date(2026, 9, 20).weekday() == 6
    assert is_workday(dt.date(2026, 9, 20))


def test_working_days_skip_the_golden_week():
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
    # Oct 1-7 are holidays; Oct 8 (Thu) is the first working day after.
    assert add_working_days(start, 1) == dt.datetime(2026, 10, 8, 10, 0, tzinfo=TZ)


def test_start_on_a_rest_day_counts_from_next_working_day():
    saturday = dt.datetime(2026, 11, 21, 15, 0, tzinfo=TZ)
    assert add_working_days(saturday, 1) == dt.datetime(2026, 11, 24, 0, 0, tzinfo=TZ)


def test_years_without_holiday_data_fall_back_to_weekdays():
    friday = dt.datetime(2027, 3, 5, 9, 0, tzinfo=TZ)
    assert add_working_days(friday, 1) == dt.datetime(2027, 3, 8, 9, 0, tzinfo=TZ)


def test_hours_and_calendar_days():
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    assert add_time_limit(start, 30, "minutes") == start + dt.timedelta(minutes=30)
    assert add_time_limit(start, 2, "hours") == start + dt.timedelta(hours=2)
    assert add_time_limit(start, 3, "calendar_days") == start + dt.timedelta(days=3)
