"""What each raw row contributes to the counters: the ONE definition behind every indicator.

A summons or a demand yields (day, counter, value) facts; a day is the local (settings.TIME_ZONE) date of
the timestamp the counter is attributed to. The rollup job sums facts per day × unit/street/matter/district
into `DailyRollup`; `indicators.compute_raw` sums the same facts straight from the raw rows (the rollup test
asserts both give the same figures); the drill-down lists the rows whose facts feed a counter.

Counters (docs/evaluation.md has the formulas built on them):
- summoned, disputed, dispute_decided, dispute_upheld, active, extended   — day the unit was summoned
- report_due, report_ontime, report_n, report_secs (+ report_hist)         — day the report-in was due
- finish_due, finish_ontime, finish_n, finish_secs (+ finish_hist)         — day finishing was due
  (finish_due already includes granted extensions)
- closed_lead, reworked                                                    — day the whistle closed
- callbacks, solved, satisfied, basically_satisfied, unsatisfied           — day the resident was called back
- received                                                                 — day the demand was received
Durations are whole seconds between the two timestamps truncated to the second, so sums are exact
integers wherever they are added up (and equal to the SQL of `rollup_sql`).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

SUMMONS_COUNTERS = (
    "summoned",
    "disputed",
    "dispute_decided",
    "dispute_upheld",
    "active",
    "extended",
    "report_due",
    "report_ontime",
    "report_n",
    "report_secs",
    "finish_due",
    "finish_ontime",
    "finish_n",
    "finish_secs",
    "closed_lead",
    "reworked",
)
DEMAND_COUNTERS = ("received", "callbacks", "solved", "satisfied", "basically_satisfied", "unsatisfied")
COUNTERS = SUMMONS_COUNTERS + DEMAND_COUNTERS
HIST_OF = {"report_secs": "report_hist", "finish_secs": "finish_hist"}


@lru_cache(maxsize=1)
def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(ts: dt.datetime) -> dt.date:
    return ts.astimezone(_tz()).date()


def seconds_between(later: dt.datetime, earlier: dt.datetime) -> int:
    return calendar.timegm(later.utctimetuple()) - calendar.timegm(earlier.utctimetuple())


def hours_bucket(seconds: int) -> int:
    """The histogram bucket (its upper bound, in hours) of a duration in whole seconds.

    Whole hours up to 2 days, 6-hour steps up to 30 days, whole days beyond: p90 values are exact to that
    resolution and identical whether read from the rollup or recomputed from the raw rows. Integer
    arithmetic, written the same way in SQL (`rollup_sql.bucket_of`).
    """
    if seconds <= 0:
        return 1
    if seconds <= 48 * 3600:
        return (seconds + 3599) // 3600
    if seconds <= 720 * 3600:
        return (seconds + 21599) // 21600 * 6
    return (seconds + 86399) // 86400 * 24


# The coarse histogram, for date ranges other than calendar months (which a range sums from the daily rows
# as plain integer columns: one SUM each, instead of merging the fine histograms of every day). Each bound
# is a fine bucket (see hours_bucket), so a coarse bucket is a run of whole fine buckets: a p90 read from
# it is the upper bound of the coarse bucket holding the fine p90 (the same or up to ~20 % above; a
# month's p90 uses the fine histogram). Durations beyond the last bound but one count in the last.
COARSE_BOUNDS = (
    *(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 21, 24, 30, 36, 42, 48),
    *(60, 72, 96, 120, 144, 168, 204, 240, 288, 336, 384, 432, 504, 576, 648, 720),
    *(840, 960, 1080, 1440, 2160, 4320, 8760, 87600),
)
COARSE_COLUMNS = {
    "report_hist": tuple(f"rc{i:02d}" for i in range(len(COARSE_BOUNDS))),
    "finish_hist": tuple(f"fc{i:02d}" for i in range(len(COARSE_BOUNDS))),
}


def coarse_index(fine_bucket: int) -> int:
    """The coarse bucket (index into COARSE_BOUNDS) of a fine bucket: the first bound at or above it."""
    return min(bisect.bisect_left(COARSE_BOUNDS, int(fine_bucket)), len(COARSE_BOUNDS) - 1)


def coarsen(hist: dict) -> dict[str, int]:
    """A fine {bucket: n} histogram as the coarse one, keyed by the coarse upper bounds."""
    out: dict[str, int] = {}
    for bucket, n in hist.items():
        if n:
            bound = str(COARSE_BOUNDS[coarse_index(int(bucket))])
            out[bound] = out.get(bound, 0) + n
    return out


@dataclass(frozen=True)
class SummonsRow:
    """The columns of a summons (and its whistle) that the facts read."""

    id: int
    whistle_id: int
    unit_id: int
    street_id: int
    matter_id: int
    role: str
    state: str
    summoned_at: dt.datetime
    report_in_due: dt.datetime
    reported_in_at: dt.datetime | None
    finish_due: dt.datetime
    finished_at: dt.datetime | None
    dispute_reason: str
    extension_days: int
    whistle_closed_at: dt.datetime | None
    whistle_rework_count: int


SUMMONS_FIELDS = (
    "id",
    "whistle_id",
    "unit_id",
    "whistle__street_id",
    "whistle__matter_id",
    "role",
    "state",
    "summoned_at",
    "report_in_due",
    "reported_in_at",
    "finish_due",
    "finished_at",
    "dispute_reason",
    "extension_days",
    "whistle__closed_at",
    "whistle__rework_count",
)


def summons_facts(s: SummonsRow, as_of: dt.datetime) -> Iterator[tuple[dt.date, str, float]]:
    """Facts of one summons. `as_of`: rows not yet due at that time are left out of the 'due' counters."""
    withdrawn = s.state == "withdrawn"
    disputed = bool(s.dispute_reason)
    day = local_day(s.summoned_at)
    yield day, "summoned", 1
    if disputed:
        yield day, "disputed", 1
        if s.state != "disputed":  # arbitrated: withdrawn = upheld, anything else = rejected
            yield day, "dispute_decided", 1
            if withdrawn:
                yield day, "dispute_upheld", 1
    if withdrawn:
        return  # an upheld dispute: the unit was never responsible, nothing else counts against it
    yield day, "active", 1
    if s.extension_days > 0:
        yield day, "extended", 1

    day = local_day(s.report_in_due)
    if s.reported_in_at is not None or s.report_in_due <= as_of:
        yield day, "report_due", 1
        if s.reported_in_at is not None and s.reported_in_at <= s.report_in_due:
            yield day, "report_ontime", 1
    if s.reported_in_at is not None:
        yield day, "report_n", 1
        yield day, "report_secs", seconds_between(s.reported_in_at, s.summoned_at)

    day = local_day(s.finish_due)
    if s.finished_at is not None or s.finish_due <= as_of:
        yield day, "finish_due", 1
        if s.finished_at is not None and s.finished_at <= s.finish_due:
            yield day, "finish_ontime", 1
    if s.finished_at is not None:
        yield day, "finish_n", 1
        yield day, "finish_secs", seconds_between(s.finished_at, s.summoned_at)

    if s.role == "lead" and s.whistle_closed_at is not None:
        day = local_day(s.whistle_closed_at)
        yield day, "closed_lead", 1
        if s.whistle_rework_count > 0:
            yield day, "reworked", 1


@dataclass(frozen=True)
class DemandRow:
    id: int
    street_id: int | None
    matter_id: int | None
    unit_id: int | None  # the street unit it was assigned to, else the lead unit of its whistle
    state: str
    received_at: dt.datetime
    called_back_at: dt.datetime | None
    solved: bool | None
    satisfaction: str


def demand_facts(d: DemandRow, as_of: dt.datetime) -> Iterator[tuple[dt.date, str, float]]:
    if d.state == "merged":
        return  # counted through the demand it was merged into
    yield local_day(d.received_at), "received", 1
    if d.called_back_at is None or d.called_back_at > as_of:
        return
    day = local_day(d.called_back_at)
    yield day, "callbacks", 1
    if d.solved:
        yield day, "solved", 1
    if d.satisfaction in ("satisfied", "basically_satisfied", "unsatisfied"):
        yield day, d.satisfaction, 1


def summons_keys(s: SummonsRow, district_of_street: dict[int, int]) -> list[tuple[str, int]]:
    """The rollup cells a summons feeds: its unit, the whistle's street and matter, the district."""
    keys = [("unit", s.unit_id), ("street", s.street_id), ("matter", s.matter_id)]
    district = district_of_street.get(s.street_id)
    if district is not None:
        keys.append(("district", district))
    return keys


def demand_keys(
    d: DemandRow, district_of_street: dict[int, int], district_of_matter: dict[int, int]
) -> list[tuple[str, int]]:
    keys: list[tuple[str, int]] = []
    if d.unit_id is not None:
        keys.append(("unit", d.unit_id))
    if d.street_id is not None:
        keys.append(("street", d.street_id))
    if d.matter_id is not None:
        keys.append(("matter", d.matter_id))
    district = district_of_street.get(d.street_id) if d.street_id is not None else None
    if district is None and d.matter_id is not None:
        district = district_of_matter.get(d.matter_id)
    if district is not None:
        keys.append(("district", district))
    return keys
