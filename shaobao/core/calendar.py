"""The business calendar: working days with China's statutory holidays and swapped workdays.

The one place that knows about holidays. First the days an administrator entered from the State
Council's plan (`core.CalendarDay`, in the admin: the plan for a year is published in the autumn before,
often after the last release of `chinese-calendar`), then the maintained `chinese-calendar` package; for a
year neither covers, Monday–Friday (logged, and `manage.py check` warns: core.checks), so deadlines still
move forward.

The entered days are read once and kept for CALENDAR_DAYS_TTL seconds (default 300) per process: a change
in the admin reaches this process at once and the other processes within that time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

log = logging.getLogger(__name__)


def is_workday(day: dt.date) -> bool:
    entered = _entered_days().get(day)
    return _statutory_workday(day) if entered is None else entered


def covered(year: int) -> bool:
    """Whether the holidays of `year` are known (the package's data, or days entered for it)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        return True
    except NotImplementedError:
        return any(day.year == year for day in _entered_days())


@lru_cache(maxsize=8192)
def _statutory_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("no holiday data for %s; treating Monday-Friday as working days", day.year)
        return day.weekday() < 5


_entered: tuple[float, dict[dt.date, bool]] | None = None
_entered_lock = threading.Lock()


def _entered_days() -> dict[dt.date, bool]:
    global _entered
    cached = _entered
    now = time.monotonic()
    if cached is not None and now - cached[0] < getattr(settings, "CALENDAR_DAYS_TTL", 300):
        return cached[1]
    from django.db import DatabaseError, transaction

    from shaobao.core.models import CalendarDay

    try:
        with transaction.atomic():  # a savepoint: a missing table must not spoil the caller's transaction
            days = dict(CalendarDay.objects.values_list("date", "is_workday"))
    except DatabaseError:  # before the migration (the table is not there yet): the package alone
        return {}
    with _entered_lock:
        _entered = (now, days)
    return days


def forget_entered_days(**_) -> None:
    """A CalendarDay changed (signal receiver), or a test rolled its rows back: read them again."""
    global _entered
    with _entered_lock:
        _entered = None


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time `days` working days later (a start on a rest day counts from the next workday)."""
    tz = local_tz()
    local = start.astimezone(tz)
    day = local.date()
    if not is_workday(day):
        # Starting on a rest day: the clock starts at the beginning of the next working day.
        while not is_workday(day):
            day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)


def add_time_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """Due time of a limit of `amount` `unit`s (hours, minutes, calendar_days, working_days) from `start`."""
    if unit == "minutes":
        return start + dt.timedelta(minutes=amount)
    if unit == "hours":
        return start + dt.timedelta(hours=amount)
    if unit == "calendar_days":
        return start + dt.timedelta(days=amount)
    if unit == "working_days":
        return add_working_days(start, amount)
    raise ValueError(f"unknown time-limit unit {unit!r}")


# --- working hours ---------------------------------------------------------------------------------
# A working hour is an hour of a working day (the whole local day of a workday counts, as in
# `add_working_days`, where one working day later is the same local time on the next workday). The
# to-do dashboards show "time left" in these hours: a deadline across a weekend does not shrink over it.


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours of working days between `start` and `end` (negative when `end` is before `start`)."""
    if end < start:
        return -working_hours_between(end, start)
    tz = local_tz()
    a, b = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_workday(day):
            lo = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
            hi = lo + dt.timedelta(days=1)
            span = min(hi, b) - max(lo, a)
            if span > dt.timedelta(0):
                total += span.total_seconds() / 3600
        day += dt.timedelta(days=1)
    return total


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """The moment `hours` working hours after `start` (before it when `hours` is negative)."""
    tz = local_tz()
    t = start.astimezone(tz)
    left = dt.timedelta(hours=abs(hours))
    one_day = dt.timedelta(days=1)
    for _ in range(3700):  # ten years of days at most
        if left <= dt.timedelta(0):
            break
        midnight = dt.datetime.combine(t.date(), dt.time(0, 0), tzinfo=tz)
        if hours >= 0:  # the rest of t's day
            lo, hi, day = t, midnight + one_day, t.date()
        else:  # the part of the day before t (the whole previous day when t is midnight)
            lo = midnight if t > midnight else midnight - one_day
            hi, day = t, lo.date()
        span = hi - lo
        if is_workday(day) and span >= left:
            return t + left if hours >= 0 else t - left
        if is_workday(day):
            left -= span
        t = hi if hours >= 0 else lo
    return t


def end_of_local_day(moment: dt.datetime) -> dt.datetime:
    """Midnight at the end of `moment`'s local day ("due today" means before this)."""
    tz = local_tz()
    return dt.datetime.combine(moment.astimezone(tz).date() + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
