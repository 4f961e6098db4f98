"""The evaluation of a centre's departments on the calls they were assigned (each level evaluates its own).

Per department, over the calls assigned in a period (withdrawn assignments left out):
- objective (0–100): the mean of its on-time rates — reported in by the report-in deadline, finished by the
  finish deadline (a deadline counts once it has passed or the step was done); the deadlines as stored, so
  a granted extension counts (as for summonses), and "late" is what the sweep marks overdue (due <= now);
- overdue: the assignments late on either deadline (missed, or done after it);
- bottom-up (0–100): the callers' ratings (1–5, × 20) given in the period — the townships rate the county's
  departments, the districts the city's;
- composite = (1 − w) × objective + w × bottom-up with w = settings.CALL_BOTTOM_UP_WEIGHT (0.3, as in
  Weihai's 下评上), renormalised when one part has no data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count
from django.utils import timezone

from shaobao.calls.models import CallAssignment, CallRating
from shaobao.core.calendar import local_tz
from shaobao.org.models import Division, Unit
from shaobao.whistles.models import SummonsState

DEFAULT_BOTTOM_UP_WEIGHT = 0.3


def bottom_up_weight() -> float:
    return float(getattr(settings, "CALL_BOTTOM_UP_WEIGHT", DEFAULT_BOTTOM_UP_WEIGHT))


@dataclass(frozen=True)
class Span:
    """Days `first`..`last` included (evaluation's Period has the same two fields)."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        if (
            self.first.day == 1
            and (self.last + dt.timedelta(days=1)).day == 1
            and self.first.month == self.last.month
        ):
            return f"{self.first:%Y-%m}"
        return f"{self.first} – {self.last}"


def month_span(value: str | None) -> Span:
    """YYYY-MM (default: this month). ValueError on anything else."""
    if value:
        year, month = (int(p) for p in str(value).strip().split("-"))
        first = dt.date(year, month, 1)
    else:
        first = timezone.localdate().replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Span(first, nxt - dt.timedelta(days=1))


def bounds(period) -> tuple[dt.datetime, dt.datetime]:
    tz = local_tz()
    start = dt.datetime.combine(period.first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def composite(objective: float | None, bottom_up: float | None, weight: float | None = None) -> float | None:
    w = bottom_up_weight() if weight is None else weight
    parts = [(1 - w, objective), (w, bottom_up)]
    present = [(p, x) for p, x in parts if x is not None and p > 0]
    total = sum(p for p, _x in present)
    return None if not total else sum(p * x for p, x in present) / total


def _rate(num: int, den: int) -> float | None:
    return None if not den else num / den


def unit_figures(unit_ids, period, *, now: dt.datetime | None = None) -> dict[int, dict]:
    """{unit_id: {assigned, report_rate, finish_rate, objective, ratings, bottom_up, composite}}."""
    now = now or timezone.now()
    start, end = bounds(period)
    ids = list(unit_ids)
    out: dict[int, dict] = {}
    rows = (
        CallAssignment.objects.filter(unit_id__in=ids, assigned_at__gte=start, assigned_at__lt=end)
        .exclude(state=SummonsState.WITHDRAWN)
        .values_list("unit_id", "report_in_due", "reported_in_at", "finish_due", "finished_at")
    )
    counts: dict[int, list[int]] = {}
    for unit_id, r_due, r_at, f_due, f_at in rows:
        c = counts.setdefault(unit_id, [0] * 6)  # assigned, report due, on time, finish due, on time, late
        c[0] += 1
        late = False
        if r_at is not None or r_due <= now:
            c[1] += 1
            c[2] += int(r_at is not None and r_at <= r_due)
            late = not (r_at is not None and r_at <= r_due)
        if f_at is not None or f_due <= now:
            c[3] += 1
            c[4] += int(f_at is not None and f_at <= f_due)
            late = late or not (f_at is not None and f_at <= f_due)
        c[5] += int(late)
    ratings = {
        r["unit_id"]: r
        for r in CallRating.objects.filter(unit_id__in=ids, rated_at__gte=start, rated_at__lt=end)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("id"), mean=Avg("score"))
    }
    for unit_id in set(counts) | set(ratings):
        assigned, r_den, r_num, f_den, f_num, late = counts.get(unit_id, [0] * 6)
        rates = [x for x in (_rate(r_num, r_den), _rate(f_num, f_den)) if x is not None]
        objective = None if not rates else sum(rates) / len(rates) * 100
        rating = ratings.get(unit_id)
        bottom_up = None if rating is None else float(rating["mean"]) * 20
        out[unit_id] = {
            "assigned": assigned,
            "overdue": late,
            "report_rate": _rate(r_num, r_den),
            "finish_rate": _rate(f_num, f_den),
            "objective": None if objective is None else round(objective, 4),
            "ratings": rating["n"] if rating else 0,
            "bottom_up": None if bottom_up is None else round(bottom_up, 4),
            "composite": _round(composite(objective, bottom_up)),
        }
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def rank(rows: list[dict]) -> list[dict]:
    """Highest composite first, ties share a rank; rows without a composite last, unranked."""
    rows.sort(key=lambda r: (r["composite"] is None, -(r["composite"] or 0), r["code"]))
    previous, current = None, 0
    for index, row in enumerate(rows, start=1):
        if row["composite"] is None:
            row["rank"] = None
            continue
        if round(row["composite"], 6) != previous:
            current, previous = index, round(row["composite"], 6)
        row["rank"] = current
    return rows


def department_ranking(centre: Division, period) -> list[dict]:
    """The centre's departments ranked on their calls in the period (every department listed)."""
    from shaobao.calls.actions import CENTRE_UNIT_KINDS

    units = list(
        Unit.objects.filter(division=centre, kind__in=CENTRE_UNIT_KINDS.get(centre.level, ())).order_by(
            "code"
        )
    )
    figures = unit_figures([u.pk for u in units], period)
    rows = []
    for unit in units:
        f = figures.get(unit.pk)
        rows.append(
            {
                "id": unit.pk,
                "code": unit.code,
                "name": unit.name,
                **(
                    f
                    or {
                        "assigned": 0,
                        "overdue": 0,
                        "report_rate": None,
                        "finish_rate": None,
                        "objective": None,
                        "ratings": 0,
                        "bottom_up": None,
                        "composite": None,
                    }
                ),
            }
        )
    return rank(rows)
