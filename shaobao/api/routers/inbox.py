"""The caller's inbox (what they must act on) and the public tracking page for residents."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Router
from ninja.throttling import AnonRateThrottle

from shaobao.api.schemas import error_responses
from shaobao.api.schemas_workflow import InboxSectionOut, TodoOut, TrackOut
from shaobao.api.serializers import inbox_item
from shaobao.intake.selectors import track as public_track
from shaobao.org.access import require_member
from shaobao.whistles.selectors import inbox_for
from shaobao.whistles.todo import todo_for, todo_totals

router = Router(tags=["inbox 待办"])
public_router = Router(tags=["public 公开查询"])

ITEMS_PER_SECTION_MAX = 100
TRACK_RATE = "60/m"


class TrackThrottle(AnonRateThrottle):
    """Tracking codes are short; limit guessing per client IP (`API_TRACK_RATE`, default 60/m, kept in
    Django's cache — configure a shared cache when running several processes)."""

    scope = "track"

    def __init__(self) -> None:
        super().__init__(rate=TRACK_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(getattr(settings, "API_TRACK_RATE", TRACK_RATE))
        return super().allow_request(request)


@router.get(
    "/inbox",
    response={200: list[InboxSectionOut], **error_responses(400, 401, 403)},
    summary="待办 / My inbox",
)
def inbox(request: HttpRequest, limit: int = 20):
    """One section per kind of work the caller's roles owe, with its count and the first `limit` items."""
    require_member(request.user)
    limit = max(1, min(limit, ITEMS_PER_SECTION_MAX))
    return [
        {
            "key": section["key"],
            "title": str(section["title"]),
            "count": section["count"],
            "items": [inbox_item(obj) for obj in section["items"][:limit]],
        }
        for section in inbox_for(request.user)
    ]


@router.get(
    "/me/todo",
    response={200: TodoOut, **error_responses(401, 403)},
    summary="我的待办看板 / My to-do counts",
)
def todo(request: HttpRequest):
    """The home page's dashboard: per inbox section its count, the most urgent deadline with the working
    hours left, and how many items are overdue or due today (the same numbers as the web home page)."""
    require_member(request.user)
    tiles = todo_for(request.user)
    return {**todo_totals(tiles), "tiles": tiles}


@public_router.get(
    "/track/{code}",
    auth=None,
    throttle=[TrackThrottle()],
    response={200: TrackOut, **error_responses(404, 429)},
    summary="进度查询（公开）/ Track a demand (public)",
)
def track(request: HttpRequest, code: str):
    """No login: the state and the replies of a demand, without anyone's name or phone number."""
    return public_track(code)
