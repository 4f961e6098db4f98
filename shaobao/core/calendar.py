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
