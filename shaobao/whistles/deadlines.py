"""Deadlines of a summons, as pure functions of start time, limits and the business calendar.

Stored on the summons when a step starts (DOMAIN.md: "deadlines are data"), so the supervision
sweep is a plain indexed query. Settings:
- REPORT_IN_LIMITS_MINUTES: report-in limit per whistle type (emergency 30 min, priority 2 h, routine 24 h);
- FINISH_DEFAULT_WORKING_DAYS: finish limit when the matter has none ("general" 7, "complex" 15 working
  days; a priority whistle — campaigns and hard cases — counts as complex);
- WARNING_FRACTION: warn when this share of the span has passed (0.75).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from shaobao.core.calendar import add_time_limit, add_working_days, add_working_hours

DEFAULT_REPORT_IN_MINUTES = {"emergency": 30, "priority": 120, "routine": 24 * 60}


@dataclass(frozen=True)
class Deadlines:
    report_in_due: dt.datetime
    report_in_warn_at: dt.datetime
    finish_due: dt.datetime
    finish_warn_at: dt.datetime


def warn_at(start: dt.datetime, due: dt.datetime, fraction: float | None = None) -> dt.datetime:
    """The moment `fraction` (default settings.WARNING_FRACTION) of the span start→due has passed."""
    if fraction is None:
        fraction = getattr(settings, "WARNING_FRACTION", 0.75)
    return start + (due - start) * fraction


def report_in_due(start: dt.datetime, whistle_type: str) -> dt.datetime:
    limits = getattr(settings, "REPORT_IN_LIMITS_MINUTES", DEFAULT_REPORT_IN_MINUTES)
    minutes = limits.get(whistle_type, limits.get("routine", 24 * 60))
    return start + dt.timedelta(minutes=minutes)


def default_finish_days(whistle_type: str = "routine") -> int:
    defaults = getattr(settings, "FINISH_DEFAULT_WORKING_DAYS", {"general": 7, "complex": 15})
    key = "complex" if whistle_type == "priority" else "general"
    return int(defaults.get(key, 7))


def finish_due(
    start: dt.datetime,
    *,
    time_limit: int | None = None,
    time_limit_unit: str | None = None,
    whistle_type: str = "routine",
) -> dt.datetime:
    """The matter's own limit (hours / calendar days / working days), else the default working days."""
    if time_limit and time_limit_unit:
        return add_time_limit(start, time_limit, time_limit_unit)
    return add_working_days(start, default_finish_days(whistle_type))


def summons_deadlines(
    start: dt.datetime,
    *,
    whistle_type: str,
    time_limit: int | None = None,
    time_limit_unit: str | None = None,
) -> Deadlines:
    r_due = report_in_due(start, whistle_type)
    f_due = finish_due(
        start, time_limit=time_limit, time_limit_unit=time_limit_unit, whistle_type=whistle_type
    )
    return Deadlines(r_due, warn_at(start, r_due), f_due, warn_at(start, f_due))


def restart_finish(
    start: dt.datetime,
    *,
    whistle_type: str,
    time_limit: int | None = None,
    time_limit_unit: str | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """A fresh finish clock (dispute rejected, rework): (finish_due, finish_warn_at)."""
    due = finish_due(start, time_limit=time_limit, time_limit_unit=time_limit_unit, whistle_type=whistle_type)
    return due, warn_at(start, due)


def extend_finish(
    finish_due_at: dt.datetime, days: int, *, start: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """An extension of `days` working days: (new finish_due, new finish_warn_at) for the clock from `start`."""
    due = add_working_days(finish_due_at, days)
    return due, warn_at(start, due)


def clock_start(due: dt.datetime, warn: dt.datetime, fraction: float | None = None) -> dt.datetime:
    """Recover the start of a clock from its due and warning times (warn = start + f·(due − start))."""
    if fraction is None:
        fraction = getattr(settings, "WARNING_FRACTION", 0.75)
    if fraction >= 1:
        return warn
    return due - (due - warn) / (1 - fraction)


# --- the street's and the district's own steps ------------------------------------------------------
# Units' deadlines are stored on the summons; the steps that wait on the street or the district (triage,
# verification, callback, an extension decision, placing an unplaced demand) have a working-hours limit
# counted from when the item started waiting. Settings may override: STEP_LIMIT_WORKING_HOURS.
DEFAULT_STEP_LIMIT_WORKING_HOURS = {
    "triage": 24,  # a received or reopened demand is triaged within one working day
    "verify": 48,  # a handled demand or a fed-back whistle is verified within two working days
    "callback": 48,  # the resident is called back within two working days of closing
    "extension": 24,  # the coordinator answers an extension request within one working day
    "placement": 24,  # an unplaced demand is placed within one working day
}


def step_limit_hours(step: str) -> float:
    limits = {**DEFAULT_STEP_LIMIT_WORKING_HOURS, **getattr(settings, "STEP_LIMIT_WORKING_HOURS", {})}
    return float(limits[step])


def step_due(start: dt.datetime, step: str) -> dt.datetime:
    """When a street or district step that started waiting at `start` is due (working hours)."""
    return add_working_hours(start, step_limit_hours(step))


def step_started_by(due: dt.datetime, step: str) -> dt.datetime:
    """The latest start whose step is due by `due` (the inverse of `step_due`, for filtering)."""
    return add_working_hours(due, -step_limit_hours(step))
