"""Bottom-up scores (下评上), composite scores and monthly rankings, with the weight version they use.

Scores are 0–100. A unit's bottom-up score = rating_share × mean per-whistle rating + survey_share × mean
monthly survey (the shares renormalised when one part has no data); each rating or survey scores
(cooperation + initiative + quality) / 3 × 20. Composite and objective scores are weighted means of the
parts that have data (a part with no denominator is left out and the other weights renormalised).
"""

from __future__ import annotations

from django.db.models import Count, F, Sum

from shaobao.evaluation.indicators import Period, current_weights, plain, table
from shaobao.evaluation.models import MonthlyRanking, MonthlySurvey, UnitRating, WeightSet
from shaobao.evaluation.rollup import day_bounds
from shaobao.org.models import Division, Unit


def weighted(parts: list[tuple[float, float | None]]) -> float | None:
    """Σ w·x / Σ w over the parts whose value is not None; None when no part has a value."""
    present = [(w, x) for w, x in parts if x is not None and w > 0]
    total = sum(w for w, _x in present)
    if not total:
        return None
    return sum(w * x for w, x in present) / total


def bottom_up_scores(period: Period, *, weights: WeightSet, unit_ids=None) -> dict[int, dict]:
    start, end = day_bounds(period.first, period.last)
    total = F("cooperation") + F("initiative") + F("quality")
    ratings = UnitRating.objects.filter(rated_at__gte=start, rated_at__lt=end)
    surveys = MonthlySurvey.objects.filter(month__gte=period.first, month__lte=period.last)
    if unit_ids is not None:
        ratings = ratings.filter(unit_id__in=list(unit_ids))
        surveys = surveys.filter(unit_id__in=list(unit_ids))
    out: dict[int, dict] = {}
    for part, qs in (("ratings", ratings), ("survey", surveys)):
        for row in qs.order_by().values("unit_id").annotate(n=Count("id"), points=Sum(total)):
            entry = out.setdefault(row["unit_id"], {"ratings": None, "survey": None})
            entry[part] = {"score": row["points"] / (3 * row["n"]) * 20, "n": row["n"]}
    for entry in out.values():
        entry["score"] = weighted(
            [
                (weights.rating_share, entry["ratings"] and entry["ratings"]["score"]),
                (weights.survey_share, entry["survey"] and entry["survey"]["score"]),
            ]
        )
    return out


def unit_objective(ind: dict, w: WeightSet) -> float | None:
    score = weighted(
        [
            (w.unit_response, ind["response_rate"].value),
            (w.unit_on_time, ind["on_time_rate"].value),
            (w.unit_resolution, ind["resolution_rate"].value),
            (w.unit_satisfaction, ind["satisfaction_rate"].value),
        ]
    )
    return None if score is None else score * 100


def street_composite(ind: dict, w: WeightSet) -> float | None:
    score = weighted(
        [
            (w.street_response, ind["response_rate"].value),
            (w.street_resolution, ind["resolution_rate"].value),
            (w.street_satisfaction, ind["satisfaction_rate"].value),
        ]
    )
    return None if score is None else score * 100


def _rank(rows: list[dict]) -> list[dict]:
    """Rank by composite (highest first; ties share a rank); rows without a composite come last, unranked."""
    rows.sort(key=lambda r: (r["composite"] is None, -(r["composite"] or 0), r["code"]))
    previous, rank = None, 0
    for index, row in enumerate(rows, start=1):
        if row["composite"] is None:
            row["rank"] = None
            continue
        value = round(row["composite"], 6)
        if value != previous:
            rank, previous = index, value
        row["rank"] = rank
    return rows


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def compute_rankings(
    district: Division, period: Period, *, weights: WeightSet | None = None, detail: bool = True
) -> dict:
    """Live rankings of the district's units and streets for a period (from the rollup).

    detail=False leaves out each row's indicator figures (enough for the previous month's ranks)."""
    weights = weights or current_weights()
    prefix = district.prefix
    units = {u.id: u for u in Unit.objects.filter(division__code__startswith=prefix)}
    streets = {s.id: s for s in Division.objects.filter(level="street", parent=district)}
    # Only the district's own units and streets are read: in a province the rollup holds every county's
    # (5,000 units: reading them all cost 0.4 s a county, bench_province). Without detail (the previous
    # month's ranks) the p90s are not needed: their histograms are not read.
    unit_ind = table("unit", period, weights=weights, hists=detail, keys=units.keys())
    street_ind = table("street", period, weights=weights, hists=detail, keys=streets.keys())
    bottom_up = bottom_up_scores(period, weights=weights, unit_ids=units.keys())

    unit_rows = []
    # Ranked: the units the whistle mechanism applies to — summoned in the period or rated by a street.
    # (A street section that only handled the street's own demands counts in its street's figures.)
    ranked = {k for k, ind in unit_ind.items() if ind["counters"].get("summoned")} | set(bottom_up)
    for unit_id in ranked:
        unit = units[unit_id]
        ind = unit_ind.get(unit_id)
        objective = unit_objective(ind, weights) if ind else None
        bu = bottom_up.get(unit_id, {}).get("score")
        composite = weighted([(weights.unit_bottom_up, bu), (weights.unit_objective, objective)])
        unit_rows.append(
            {
                "id": unit_id,
                "code": unit.code,
                "name": unit.name,
                "indicators": plain({k: v for k, v in ind.items() if k != "counters"})
                if ind and detail
                else {},
                "bottom_up": _r(bu),
                "bottom_up_parts": bottom_up.get(unit_id, {}) if detail else {},
                "objective": _r(objective),
                "composite": _r(composite),
            }
        )
    street_rows = []
    for street_id, ind in street_ind.items():
        street = streets[street_id]
        street_rows.append(
            {
                "id": street_id,
                "code": street.code,
                "name": street.name,
                "indicators": plain({k: v for k, v in ind.items() if k != "counters"}) if detail else {},
                "composite": _r(street_composite(ind, weights)),
            }
        )
    return {
        "period": period.label,
        "weight_version": weights.version,
        "units": _rank(unit_rows),
        "streets": _rank(street_rows),
    }


def rankings(district: Division, period: Period, *, with_change: bool = True, detail: bool = True) -> dict:
    """The published snapshot of a month if there is one, else live figures; with the change in rank."""
    published = None
    if period.is_month:
        published = MonthlyRanking.objects.filter(district=district, month=period.first).first()
    if published is not None:
        result = dict(published.data)
        result["published_at"] = published.published_at.isoformat()
    else:
        result = compute_rankings(district, period, detail=detail)
        result["published_at"] = None
    if with_change and period.is_month:
        previous = rankings(district, period.previous_month(), with_change=False, detail=False)
        for part in ("units", "streets"):
            before = {row["id"]: row["rank"] for row in previous[part]}
            for row in result[part]:
                row["previous_rank"] = before.get(row["id"])
                row["change"] = (
                    row["previous_rank"] - row["rank"]
                    if row["rank"] is not None and row["previous_rank"] is not None
                    else None
                )
    return result
