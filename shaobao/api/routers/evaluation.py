"""Evaluation figures per unit and per street for a month or any date range (issue 5, part 9).

`?month=YYYY-MM` (default: the last complete month) or `?from=YYYY-MM-DD&to=YYYY-MM-DD` (both days included,
at most 366 days, ending today at the latest); never both. A range that is exactly a calendar month is that
month. Scoped by `evaluation.selectors` like the pages: a unit sees its own row, a street its own, the
district every row; ranks stay those of the whole district. The ranking is one document, so it is not
paginated.
"""

from django.http import HttpRequest
from ninja import Query, Router

from shaobao.api.schemas import error_responses
from shaobao.api.schemas_evaluation import StreetRankingOut, UnitRankingOut

router = Router(tags=["evaluation 考评"])

MONTH_HELP = (
    "YYYY-MM；与 from/to 二选一，缺省为上一个完整月份 / a calendar month; "
    "instead of from/to; default: the last complete month"
)
FROM_HELP = (
    "YYYY-MM-DD：日期范围的第一天（须同时给出 to）/ first day of a date range (with `to`; not with `month`)"
)
TO_HELP = (
    "YYYY-MM-DD：日期范围的最后一天（含当天，不晚于今天，范围最多366天）/ last day of the range, "
    "included; today at the latest; at most 366 days in all"
)
PERIOD_ERRORS = (
    "400 `invalid` when the month or a date cannot be read, when `month` is given with `from`/`to`, when only "
    "one of `from`/`to` is given, when `from` is after `to`, when the range is longer than 366 days or when "
    "it ends after today; `fields` names the offending parameters."
)
CHANGE_NOTE = (
    "`previous_rank` and `change` compare with the previous calendar month; they are null for a date range "
    "that is not a calendar month. A range is always live figures (`published_at` null); its p90 hours come "
    "from the coarse histogram (docs/evaluation.md)."
)


def _ranking(request: HttpRequest, month: str | None, date_from: str | None, date_to: str | None, part: str):
    from shaobao.evaluation.selectors import parse_period, ranking_for

    period = parse_period(month, date_from, date_to)
    result = ranking_for(request.user, period)
    rows = result[part]
    return {
        "month": period.label if period.is_month else None,
        "period": period.label,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "weight_version": result.get("weight_version"),
        "published_at": result.get("published_at"),
        "count": len(rows),
        "results": rows,
    }


@router.get(
    "/evaluation/units",
    response={200: UnitRankingOut, **error_responses(400, 401, 403)},
    by_alias=True,
    summary="单位考评 / Unit indicators and ranking",
    description="Per unit: every indicator (fractions with numerator and denominator), bottom-up, composite, "
    f"rank, for a month or a date range. {CHANGE_NOTE} {PERIOD_ERRORS}",
)
def unit_evaluation(
    request: HttpRequest,
    month: str | None = Query(None, description=MONTH_HELP),
    date_from: str | None = Query(None, alias="from", description=FROM_HELP),
    date_to: str | None = Query(None, alias="to", description=TO_HELP),
):
    return _ranking(request, month, date_from, date_to, "units")


@router.get(
    "/evaluation/streets",
    response={200: StreetRankingOut, **error_responses(400, 401, 403)},
    by_alias=True,
    summary="街乡考评 / Street indicators and ranking",
    description="Per street: every indicator, the 三率 composite and the rank, for a month or a date range. "
    f"{CHANGE_NOTE} {PERIOD_ERRORS}",
)
def street_evaluation(
    request: HttpRequest,
    month: str | None = Query(None, description=MONTH_HELP),
    date_from: str | None = Query(None, alias="from", description=FROM_HELP),
    date_to: str | None = Query(None, alias="to", description=TO_HELP),
):
    return _ranking(request, month, date_from, date_to, "streets")
