"""The business calendar: working days with China's statutory holidays and swapped workdays.

The one place that knows about holidays. It uses the maintained `chinese-calendar` package; for a year
the package does not cover yet (the State Council publishes each year's plan in the autumn before), it
falls back to Monday–Friday and says so in the log, so deadlines still move forward.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("no holiday data for %s; treating Monday-Friday as working days", day.year)
        return day.weekday() < 5


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
