"""The district coordination board (区级统筹平台): one page and the live map's JSON feed.

Views are thin: `selectors.board_district` decides who may look (district coordinators and
administrators, scoped to their district), the selectors read, the template shows.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from shaobao.intake.views import paginate, web_view
from shaobao.intake.views_support import map_context
from shaobao.platform import selectors

OVERDUE_PER_PAGE = 50


@require_GET
@web_view
def board(request):
    user = request.user
    district = selectors.board_district(user)
    now = timezone.now()
    page = paginate(request, selectors.overdue_list(user, district, now=now), OVERDUE_PER_PAGE)
    return render(
        request,
        "platform/board.html",
        {
            "district": district,
            "now": now,
            "overdue": selectors.overdue_summary(user, district, now=now),
            "page": page,
            "unit_workloads": selectors.unit_workloads(user, district, now=now),
            "street_workloads": selectors.street_workloads(user, district),
            "hot": selectors.hot_spots(user, district, now=now),
            "map_days": selectors.MAP_DAYS,
            "map_cap": selectors.MAP_CAP,
            "map_refresh_seconds": selectors.MAP_REFRESH_SECONDS,
            **map_context(),
        },
    )


@require_GET
@web_view
def map_json(request):
    district = selectors.board_district(request.user)
    response = JsonResponse(
        selectors.map_points(request.user, district), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response
