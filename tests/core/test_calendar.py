import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shaobao.core import calendar, checks
from shaobao.core.calendar import add_time_limit, add_working_days, is_workday
from shaobao.core.checks import holiday_plan_known
from shaobao.core.models import CalendarDay

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


@pytest.mark.django_db
def test_days_entered_from_the_holiday_plan_override_the_package():
    # 2026-11-09 is an ordinary Monday; 2026-11-07 an ordinary Saturday.
    assert is_workday(dt.date(2026, 11, 9)) and not is_workday(dt.date(2026, 11, 7))
    CalendarDay.objects.create(date=dt.date(2026, 11, 9), is_workday=False, note="停工日")
    CalendarDay.objects.create(date=dt.date(2026, 11, 7), is_workday=True, note="调休上班")
    assert not is_workday(dt.date(2026, 11, 9)) and is_workday(dt.date(2026, 11, 7))
    friday = dt.datetime(2026, 11, 6, 10, 0, tzinfo=TZ)
    assert add_working_days(friday, 2) == dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)  # Sat, Tue
    CalendarDay.objects.filter(date=dt.date(2026, 11, 9)).delete()
    assert is_workday(dt.date(2026, 11, 9))


def _first_year_without_package_data() -> int:
    year = dt.date.today().year
    while calendar.covered(year):
        year += 1
    return year


@pytest.mark.django_db
def test_a_year_the_package_does_not_know_is_planned_in_the_admin(monkeypatch):
    # chinese-calendar stops at the year of its release; the plan for the next year is entered by hand,
    # and until it is, `manage.py check` says so from October of the year before.
    year = _first_year_without_package_data()
    new_year = dt.date(year, 1, 1)
    monkeypatch.setattr(checks.timezone, "localdate", lambda: dt.date(year - 1, 10, 8))
    assert [w.msg for w in holiday_plan_known(databases=["default"])] == [
        f"No holiday plan for {year}: deadlines count Monday–Friday as working days."
    ]
    assert is_workday(new_year) == (new_year.weekday() < 5)  # Monday–Friday until the plan is entered
    CalendarDay.objects.create(date=new_year, is_workday=False, note="元旦")
    assert calendar.covered(year) and not is_workday(new_year)
    assert holiday_plan_known(databases=["default"]) == []
    monkeypatch.setattr(checks.timezone, "localdate", lambda: dt.date(year - 1, 9, 30))
    CalendarDay.objects.all().delete()
    assert holiday_plan_known(databases=["default"]) == []  # not yet October: only this year counts
