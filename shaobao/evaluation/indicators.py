"""The indicators: each formula written once (`INDICATORS` + `indicators_of`), over the counters of `facts`.

Figures come from the daily rollup (`table`, fast) or straight from the raw rows (`table_raw`, the
reference the rollup is tested against). Every rate is a `Figure` with its numerator and denominator.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.evaluation.facts import COARSE_BOUNDS, COARSE_COLUMNS, COUNTERS, coarsen
from shaobao.evaluation.models import DailyRollup, WeightSet


@dataclass(frozen=True)
class Period:
    """Local days first..last inclusive; a month by default."""

    first: dt.date
    last: dt.date

    @classmethod
    def month(cls, value: str | dt.date) -> Period:
        if isinstance(value, str):
            year, month = (int(x) for x in value.split("-")[:2])
        else:
            year, month = value.year, value.month
        if not 1 <= month <= 12:
            raise ValueError("month")
        return cls(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m-%d}~{self.last:%Y-%m-%d}"

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self == Period.month(self.first)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def query(self) -> dict[str, str]:
        """The URL parameters that name this period: `month` for a calendar month, else `from` and `to`."""
        if self.is_month:
            return {"month": self.label}
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    @property
    def querystring(self) -> str:
        return urlencode(self.query)

    @property
    def slug(self) -> str:
        """For file names: 2026-10, or 2026-10-01_2026-10-15."""
        return self.label.replace("~", "_")

    def previous_month(self) -> Period:
        return Period.month(self.first - dt.timedelta(days=1))


@dataclass(frozen=True)
class Figure:
    num: float
    den: float

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def as_dict(self) -> dict:
        value = self.value
        return {
            "value": None if value is None else round(value, 6),
            "numerator": round(self.num, 6),
            "denominator": round(self.den, 6),
        }


# code -> (label, formula as written in docs/evaluation.md, kind: rate | count | hours)
INDICATORS: dict[str, tuple] = {
    "response_rate": (_("response rate"), "report_ontime / report_due", "rate"),
    "on_time_rate": (_("on-time completion rate"), "finish_ontime / finish_due", "rate"),
    "resolution_rate": (_("resolution rate"), "solved / callbacks", "rate"),
    "satisfaction_rate": (
        _("satisfaction rate"),
        "(w_s·satisfied + w_b·basically_satisfied) / (satisfied + basically_satisfied + unsatisfied)",
        "rate",
    ),
    "rework_rate": (_("rework rate"), "reworked / closed_lead", "rate"),
    "dispute_rate": (_("dispute rate"), "disputed / summoned", "rate"),
    "upheld_dispute_rate": (_("upheld-dispute rate"), "dispute_upheld / dispute_decided", "rate"),
    "extension_rate": (_("extension rate"), "extended / active", "rate"),
    "overdue_count": (_("overdue"), "finish_due − finish_ontime", "count"),
    "avg_report_hours": (_("average hours to report in"), "report_secs / report_n / 3600", "hours"),
    "p90_report_hours": (_("p90 hours to report in"), "90th percentile of report_hist", "hours"),
    "avg_finish_hours": (_("average hours to finish"), "finish_secs / finish_n / 3600", "hours"),
    "p90_finish_hours": (_("p90 hours to finish"), "90th percentile of finish_hist", "hours"),
}
RATES = [code for code, spec in INDICATORS.items() if spec[2] == "rate"]


def p90(hist: dict) -> float | None:
    """Nearest-rank 90th percentile of a {bucket hours: count} histogram."""
    total = sum(hist.values())
    if not total:
        return None
    rank = -(-9 * total // 10)  # ceil(0.9 * total) without floating point
    seen = 0
    for bucket in sorted(hist, key=float):
        seen += hist[bucket]
        if seen >= rank:
            return float(bucket)
    return None  # unreachable


def indicators_of(c: dict, report_hist: dict, finish_hist: dict, weights: WeightSet) -> dict:
    """Every indicator from one cell's counters. The one place where the formulas live."""
    g = defaultdict(float, c)
    answered = g["satisfied"] + g["basically_satisfied"] + g["unsatisfied"]
    return {
        "response_rate": Figure(g["report_ontime"], g["report_due"]),
        "on_time_rate": Figure(g["finish_ontime"], g["finish_due"]),
        "resolution_rate": Figure(g["solved"], g["callbacks"]),
        "satisfaction_rate": Figure(
            weights.satisfied_weight * g["satisfied"]
            + weights.basically_satisfied_weight * g["basically_satisfied"],
            answered,
        ),
        "rework_rate": Figure(g["reworked"], g["closed_lead"]),
        "dispute_rate": Figure(g["disputed"], g["summoned"]),
        "upheld_dispute_rate": Figure(g["dispute_upheld"], g["dispute_decided"]),
        "extension_rate": Figure(g["extended"], g["active"]),
        "overdue_count": Figure(g["finish_due"] - g["finish_ontime"], g["finish_due"]),
        "avg_report_hours": g["report_secs"] / g["report_n"] / 3600 if g["report_n"] else None,
        "p90_report_hours": p90(report_hist),
        "avg_finish_hours": g["finish_secs"] / g["finish_n"] / 3600 if g["finish_n"] else None,
        "p90_finish_hours": p90(finish_hist),
        "volume": {k: g[k] for k in ("received", "summoned", "callbacks", "closed_lead")},
    }


def current_weights() -> WeightSet:
    """The latest weight version (created with the defaults when there is none yet)."""
    weights = WeightSet.objects.order_by("-version").first()
    if weights is None:
        weights, _created = WeightSet.objects.get_or_create(version=1, defaults={"note": "默认 / default"})
    return weights


def _merge(into: dict, cell_counters: dict, rh: dict, fh: dict) -> None:
    for k, v in cell_counters.items():
        into["counters"][k] += v
    for k, v in rh.items():
        into["report_hist"][str(k)] += v
    for k, v in fh.items():
        into["finish_hist"][str(k)] += v


def _empty() -> dict:
    return {"counters": defaultdict(float), "report_hist": defaultdict(int), "finish_hist": defaultdict(int)}


def cells_from_months(dim: str, period: Period, keys=None, *, hists: bool = True) -> dict[int, dict]:
    """A calendar month: one pre-summed `MonthlyRollup` row per key (hists=False: without the hours
    histograms, whose JSON is most of the reading when only the rates are wanted)."""
    from shaobao.evaluation.models import MonthlyRollup

    qs = MonthlyRollup.objects.filter(dim=dim, month=period.first)
    if keys is not None:
        qs = qs.filter(key__in=list(keys))
    out: dict[int, dict] = defaultdict(_empty)
    columns = ("report_hist", "finish_hist") if hists else ()
    for row in qs.values_list("key", *COUNTERS, *columns):
        cell = out[row[0]]
        cell["counters"].update({c: v for c, v in zip(COUNTERS, row[1:], strict=False) if v})
        if hists:
            cell["report_hist"].update(row[-2])
            cell["finish_hist"].update(row[-1])
    return out


def cells_from_rollup(dim: str, period: Period, keys=None, *, hists: bool = True) -> dict[int, dict]:
    """Per key: counters summed by the database (one GROUP BY).

    Calendar months read the monthly rollup (one row per key, fine histograms); other ranges sum the
    daily rows, their histograms being the coarse ones (integer columns summed in the same GROUP BY).
    """
    from django.db.models import Sum

    if period.is_month:
        return cells_from_months(dim, period, keys, hists=hists)
    qs = DailyRollup.objects.filter(dim=dim, day__gte=period.first, day__lte=period.last)
    if keys is not None:
        qs = qs.filter(key__in=list(keys))
    columns = COUNTERS + COARSE_COLUMNS["report_hist"] + COARSE_COLUMNS["finish_hist"]
    sums = {f"s_{c}": Sum(c) for c in columns}
    out: dict[int, dict] = defaultdict(_empty)
    for row in qs.order_by().values("key").annotate(**sums).values_list("key", *sums):
        cell = out[row[0]]
        values = row[1:]
        cell["counters"].update({c: v or 0 for c, v in zip(COUNTERS, values, strict=False)})
        offset = len(COUNTERS)
        for column in ("report_hist", "finish_hist"):
            for bound, n in zip(COARSE_BOUNDS, values[offset : offset + len(COARSE_BOUNDS)], strict=True):
                if n:
                    cell[column][str(bound)] = n
            offset += len(COARSE_BOUNDS)
    return out


def cells_from_raw(
    dim: str, period: Period, keys=None, *, as_of: dt.datetime | None = None
) -> dict[int, dict]:
    from shaobao.evaluation.rollup import accumulate

    cells = accumulate(period.first, period.last, as_of or timezone.now(), by_day=False)
    out: dict[int, dict] = defaultdict(_empty)
    for (cell_dim, key), cell in cells.items():
        if cell_dim == dim and (keys is None or key in keys):
            _merge(out[key], cell["counters"], cell["report_hist"], cell["finish_hist"])
    return out


def table(
    dim: str,
    period: Period,
    *,
    weights: WeightSet | None = None,
    keys=None,
    raw: bool = False,
    as_of=None,
    hists: bool = True,
) -> dict[int, dict]:
    """{key: indicators} for every unit/street/matter/district with any fact in the period
    (hists=False: a month's p90s left out, None)."""
    weights = weights or current_weights()
    if raw:
        cells = cells_from_raw(dim, period, keys, as_of=as_of)
        if not period.is_month:  # the same (coarse) histograms as the rollup gives for a range
            for cell in cells.values():
                cell["report_hist"] = coarsen(cell["report_hist"])
                cell["finish_hist"] = coarsen(cell["finish_hist"])
    else:
        cells = cells_from_rollup(dim, period, keys, hists=hists)
    return {
        key: {
            **indicators_of(cell["counters"], cell["report_hist"], cell["finish_hist"], weights),
            "counters": {k: cell["counters"].get(k, 0) for k in COUNTERS},
        }
        for key, cell in cells.items()
    }


def plain(ind: dict) -> dict:
    """JSON-ready: Figures become {value, numerator, denominator}."""
    out = {}
    for k, v in ind.items():
        if isinstance(v, Figure):
            out[k] = v.as_dict()
        elif isinstance(v, float):
            out[k] = round(v, 4)
        else:
            out[k] = v
    return out
