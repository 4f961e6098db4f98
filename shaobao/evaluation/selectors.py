"""Reads of the evaluation app, scoped like every list: units see their own figures, streets theirs,
the district everything. The pages, the exports and the JSON API (`unit_indicators`, `street_indicators`)
all come through here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shaobao.core.errors import Forbidden, NotFound, ValidationFailed
from shaobao.evaluation.facts import demand_facts, demand_keys, summons_facts, summons_keys
from shaobao.evaluation.indicators import INDICATORS, Period, current_weights, plain, table
from shaobao.evaluation.rollup import day_bounds, demand_rows, district_maps, last_as_of, summons_rows
from shaobao.evaluation.scores import rankings
from shaobao.org.access import require_member
from shaobao.org.models import Division
from shaobao.org.scoping import district_of, scope_of


@dataclass(frozen=True)
class Visibility:
    district: Division
    all: bool
    unit_ids: frozenset[int]
    street_ids: frozenset[int]

    def sees(self, dim: str, key: int) -> bool:
        if self.all:
            return True
        return (dim == "unit" and key in self.unit_ids) or (dim == "street" and key in self.street_ids)


def visibility(user) -> Visibility:
    require_member(user)
    scope = scope_of(user)
    district = district_of(user)
    if district is None:
        raise Forbidden("您不属于任何区 / You do not belong to a district")
    return Visibility(district, scope.is_district, frozenset(scope.unit_ids), frozenset(scope.street_ids))


# A date range may span at most this many days (a year, leap day included), and no day before FIRST_DAY.
MAX_RANGE_DAYS = 366
FIRST_DAY = dt.date(2000, 1, 1)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{1,2}$")


class BadPeriod(ValidationFailed):
    """A period that cannot be read or is refused. `message` (and each of `fields`) is in Chinese and
    English for the API; `localized()` gives it in the active language for the pages."""

    def __init__(self, text, *, fields: tuple[str, ...], params: dict | None = None):
        self.text, self.params = text, params or {}
        with translation.override("zh-hans"):
            zh = self.localized()
        with translation.override("en"):
            en = self.localized()
        message = en if zh == en else f"{zh} / {en}"
        super().__init__(message, fields=dict.fromkeys(fields, message))

    def localized(self) -> str:
        return str(self.text) % self.params if self.params else str(self.text)


def parse_month(value: str | None) -> Period:
    """A YYYY-MM string; empty means the last complete month."""
    if not value:
        today = timezone.localdate()
        return Period.month(today.replace(day=1) - dt.timedelta(days=1))
    try:
        if not _ISO_MONTH.match(str(value).strip()):
            raise ValueError(value)
        period = Period.month(str(value).strip())
        if period.first < FIRST_DAY:
            raise ValueError(value)
        return period
    except (ValueError, TypeError) as exc:
        raise BadPeriod(_("The month must be written YYYY-MM, e.g. 2026-10."), fields=("month",)) from exc


def _day(value: str, name: str) -> dt.date:
    try:
        if not _ISO_DAY.match(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadPeriod(_("Dates must be written YYYY-MM-DD, e.g. 2026-10-01."), fields=(name,)) from exc
    if day < FIRST_DAY:
        raise BadPeriod(
            _("Dates before %(first)s are not kept."), fields=(name,), params={"first": FIRST_DAY}
        )
    return day


def parse_period(
    month: str | None = None, date_from: str | None = None, date_to: str | None = None
) -> Period:
    """The period a page, the API or a command asks for: `month` (YYYY-MM), or `from` and `to`
    (YYYY-MM-DD, both days included); neither means the last complete month.

    A range may not be given together with a month, be reversed, span more than MAX_RANGE_DAYS days or end
    after today; any of these raises BadPeriod (400). A range that is exactly a calendar month *is* that
    month (same label, published snapshot and change of rank)."""
    month, date_from, date_to = ((v or "").strip() or None for v in (month, date_from, date_to))
    if month and (date_from or date_to):
        raise BadPeriod(
            _("Give either a month or a date range (from, to), not both."), fields=("month", "from", "to")
        )
    if not (date_from or date_to):
        return parse_month(month)
    if not (date_from and date_to):
        raise BadPeriod(
            _("A date range needs both its first day (from) and its last day (to)."),
            fields=("to",) if date_from else ("from",),
        )
    first, last = _day(date_from, "from"), _day(date_to, "to")
    if first > last:
        raise BadPeriod(_("The first day (from) must not be after the last day (to)."), fields=("from", "to"))
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadPeriod(
            _("A date range may span at most %(days)s days."),
            fields=("from", "to"),
            params={"days": MAX_RANGE_DAYS},
        )
    today = timezone.localdate()
    if last > today:
        raise BadPeriod(
            _("A date range must not end after today (%(today)s)."), fields=("to",), params={"today": today}
        )
    return Period(first, last)


def period_of(params) -> Period:
    """`parse_period` over a request's GET (or any mapping with `month`, `from`, `to`)."""
    return parse_period(params.get("month"), params.get("from"), params.get("to"))


def _month(month: str | Period | None) -> Period:
    return month if isinstance(month, Period) else parse_month(month)


def ranking_for(user, month: str | Period | None) -> dict:
    """The month's rankings, rows outside the user's scope removed (ranks stay those of the district)."""
    vis = visibility(user)
    result = rankings(vis.district, _month(month))
    result["units"] = [r for r in result["units"] if vis.sees("unit", r["id"])]
    result["streets"] = [r for r in result["streets"] if vis.sees("street", r["id"])]
    return result


def unit_indicators(user, month: str | Period | None) -> list[dict]:
    """Per visible unit: every indicator {value, numerator, denominator}, bottom-up, objective, composite, rank."""
    return ranking_for(user, month)["units"]


def street_indicators(user, month: str | Period | None) -> list[dict]:
    """Per visible street: every indicator, the 三率 composite and the rank."""
    return ranking_for(user, month)["streets"]


def matter_indicators(user, period: Period) -> list[dict]:
    """Per matter (district users only: a matter's figures span every street and unit)."""
    from shaobao.duties.models import Matter

    vis = visibility(user)
    if not vis.all:
        return []
    # The district's own matters only (every version of its duty lists): the rollup holds every county's.
    names = {m.id: m for m in Matter.objects.filter(duty_list__district=vis.district)}
    rows = table("matter", period, keys=names.keys())
    out = [
        {"id": k, "code": names[k].code, "name": names[k].name, "indicators": plain(v)}
        for k, v in rows.items()
        if k in names
    ]
    return sorted(out, key=lambda r: r["code"])


def district_indicators(user, period: Period) -> dict | None:
    vis = visibility(user)
    if not vis.all:
        return None
    row = table("district", period, keys=[vis.district.id]).get(vis.district.id)
    return plain(row) if row else None


def trend(user, *, dim: str, key: int, last: Period, months: int = 12) -> list[dict]:
    """Month by month figures of one unit/street/district, oldest first (for the trend chart)."""
    vis = visibility(user)
    if not vis.sees(dim, key) and not (dim == "district" and vis.all):
        raise NotFound("无权查看 / Not found")
    weights = current_weights()
    if not last.is_month:  # a date range: the months up to the one it ends in
        last = Period.month(last.last)
    periods = [last]
    for _i in range(months - 1):
        periods.append(periods[-1].previous_month())
    out = []
    for period in reversed(periods):
        ind = table(dim, period, weights=weights, keys=[key]).get(key)
        out.append({"month": period.label, **({k: v for k, v in plain(ind).items()} if ind else {})})
    return out


# --- drill-down: the rows behind a figure -------------------------------------------------------------

# indicator -> (source, numerator counters, denominator counters)
DRILL = {
    "response_rate": ("summons", ("report_ontime",), ("report_due",)),
    "on_time_rate": ("summons", ("finish_ontime",), ("finish_due",)),
    "overdue_count": ("summons", ("finish_ontime",), ("finish_due",)),
    "rework_rate": ("summons", ("reworked",), ("closed_lead",)),
    "dispute_rate": ("summons", ("disputed",), ("summoned",)),
    "upheld_dispute_rate": ("summons", ("dispute_upheld",), ("dispute_decided",)),
    "extension_rate": ("summons", ("extended",), ("active",)),
    "avg_report_hours": ("summons", ("report_n",), ("report_n",)),
    "p90_report_hours": ("summons", ("report_n",), ("report_n",)),
    "avg_finish_hours": ("summons", ("finish_n",), ("finish_n",)),
    "p90_finish_hours": ("summons", ("finish_n",), ("finish_n",)),
    "resolution_rate": ("demand", ("solved",), ("callbacks",)),
    "satisfaction_rate": (
        "demand",
        ("satisfied", "basically_satisfied"),
        ("satisfied", "basically_satisfied", "unsatisfied"),
    ),
}
# The timestamp each counter is dated on (facts.summons_facts / demand_facts).
DATED_ON = {
    **dict.fromkeys(
        ("summoned", "disputed", "dispute_decided", "dispute_upheld", "active", "extended"), "summoned_at"
    ),
    **dict.fromkeys(("report_due", "report_ontime", "report_n", "report_secs"), "report_in_due"),
    **dict.fromkeys(("finish_due", "finish_ontime", "finish_n", "finish_secs"), "finish_due"),
    **dict.fromkeys(("closed_lead", "reworked"), "whistle__closed_at"),
    "received": "received_at",
    **dict.fromkeys(
        ("callbacks", "solved", "satisfied", "basically_satisfied", "unsatisfied"), "called_back_at"
    ),
}
SUMMONS_PREFILTER = {
    "unit": lambda k: Q(unit_id=k),
    "street": lambda k: Q(whistle__street_id=k),
    "matter": lambda k: Q(whistle__matter_id=k),
    "district": lambda k: Q(whistle__street__parent_id=k),
}


def _demands_summoning(unit_id: int) -> Q:
    from shaobao.whistles.models import Summons, Whistle

    # Only as the (not withdrawn) lead of a whistle can a unit be credited with its demands (demand_rows).
    # One subquery: the unit's whistles from the partial index summons_lead_unit_whistle, their demands,
    # each probed in demand_id_called_back with the period (migration evaluation 0004), so that neither
    # a summons row nor a demand row outside the period is read, and no id list makes the round trip.
    whistles = (
        Summons.objects.filter(unit_id=unit_id, role="lead").exclude(state="withdrawn").values("whistle_id")
    )
    links = Whistle.demands.through.objects.filter(whistle_id__in=whistles)
    return Q(pk__in=links.values("demand_id"))


# One or more filters per dimension, read one after the other (an OR across the assignment and the
# whistles' summonses would make the database scan every demand; apart, each one uses its index).
DEMAND_PREFILTER = {
    "unit": lambda k: [Q(assigned_unit_id=k), _demands_summoning(k)],
    "street": lambda k: [Q(street_id=k)],
    "matter": lambda k: [Q(matter_id=k)],
    "district": lambda k: [Q()],
}


def drill(user, *, period: Period, dim: str, key: int, indicator: str) -> dict:
    """The summonses (with their whistles) or demands whose facts make up one figure.

    Uses the same `facts` functions as the rollup, so the list has exactly the denominator's rows; each
    row says whether it is also in the numerator.
    """
    if indicator not in DRILL or dim not in SUMMONS_PREFILTER:
        raise ValidationFailed("未知指标 / Unknown indicator", fields={"indicator": indicator})
    vis = visibility(user)
    if not vis.sees(dim, key) and not (dim == "district" and vis.all and key == vis.district.id):
        raise NotFound("无权查看 / Not found")
    source, num, den = DRILL[indicator]
    dated_on = tuple(dict.fromkeys(DATED_ON[c] for c in den))  # only rows whose den dates fall in the period
    as_of = last_as_of() or timezone.now()
    start, end = day_bounds(period.first, period.last)
    streets, matters = district_maps()
    items = []
    if source == "summons":
        for s in summons_rows(start, end, extra=SUMMONS_PREFILTER[dim](key), dated_on=dated_on):
            if (dim, key) not in summons_keys(s, streets):
                continue
            counted = {c for day, c, _v in summons_facts(s, as_of) if period.first <= day <= period.last}
            if counted & set(den):
                items.append(
                    {"summons_id": s.id, "whistle_id": s.whistle_id, "in_numerator": bool(counted & set(num))}
                )
    else:
        seen = set()
        rows = (
            d
            for extra in DEMAND_PREFILTER[dim](key)
            for d in demand_rows(start, end, extra=extra, dated_on=dated_on)
        )
        for d in rows:
            if d.id in seen or (dim, key) not in demand_keys(d, streets, matters):
                continue
            seen.add(d.id)
            counted = {c for day, c, _v in demand_facts(d, as_of) if period.first <= day <= period.last}
            if counted & set(den):
                items.append({"demand_id": d.id, "in_numerator": bool(counted & set(num))})
    return {"source": source, "indicator": indicator, "label": INDICATORS[indicator][0], "items": items}


def whistles_to_rate(user, *, limit: int = 20) -> list:
    """Closed whistles of the user's streets with a summoned unit not yet rated (street raters only)."""
    from django.db.models import Count
    from django.db.models import Q as Q_

    from shaobao.evaluation.actions import RATERS
    from shaobao.whistles.models import Whistle

    scope = scope_of(user)
    if not scope.street_ids or not scope.has_role(*RATERS):
        return []
    return list(
        Whistle.objects.filter(street_id__in=scope.street_ids, state="closed")
        .annotate(
            units=Count("summonses", filter=~Q_(summonses__state="withdrawn"), distinct=True),
            rated=Count("unit_ratings", distinct=True),
        )
        .filter(rated__lt=F("units"))
        .select_related("matter")
        .order_by("-closed_at")[:limit]
    )
