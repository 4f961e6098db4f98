"""Evaluation figures per unit and per street for a month (issue 5, part 9).

Scoped by `evaluation.selectors` like the pages: a unit sees its own row, a street its own, the district
every row; ranks stay those of the whole district. The ranking is one document, so it is not paginated.
"""

from django.http import HttpRequest
from ninja import Query, Router

from shaobao.api.schemas import error_responses
from shaobao.api.schemas_evaluation import StreetRankingOut, UnitRankingOut

router = Router(tags=["evaluation 考评"])

MONTH_HELP = "YYYY-MM；缺省为上一个完整月份 / default: the last complete month"


def _ranking(request: HttpRequest, month: str | None, part: str) -> dict:
    from shaobao.evaluation.selectors import parse_month, ranking_for

    period = parse_month(month)
    result = ranking_for(request.user, period)
    rows = result[part]
    return {
        "month": result.get("period", period.label),
        "weight_version": result.get("weight_version"),
        "published_at": result.get("published_at"),
        "count": len(rows),
        "results": rows,
    }


@router.get(
    "/evaluation/units",
    response={200: UnitRankingOut, **error_responses(400, 401, 403)},
    summary="单位考评 / Unit indicators and ranking",
)
def unit_evaluation(request: HttpRequest, month: str | None = Query(None, description=MONTH_HELP)):
    """Per unit: every indicator (fractions with numerator and denominator), bottom-up, composite, rank."""
    return _ranking(request, month, "units")


@router.get(
    "/evaluation/streets",
    response={200: StreetRankingOut, **error_responses(400, 401, 403)},
    summary="街乡考评 / Street indicators and ranking",
)
def street_evaluation(request: HttpRequest, month: str | None = Query(None, description=MONTH_HELP)):
    """Per street: every indicator, the 三率 composite and the rank."""
    return _ranking(request, month, "streets")
