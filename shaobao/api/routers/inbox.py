"""The caller's inbox (what they must act on) and the public tracking page for residents."""

from django.http import HttpRequest
from ninja import Router

from shaobao.api.schemas import error_responses
from shaobao.api.schemas_workflow import InboxSectionOut, TrackOut
from shaobao.api.serializers import inbox_item
from shaobao.intake.selectors import track as public_track
from shaobao.org.access import require_member
from shaobao.whistles.selectors import inbox_for

router = Router(tags=["inbox 待办"])
public_router = Router(tags=["public 公开查询"])

ITEMS_PER_SECTION_MAX = 100


@router.get(
    "/inbox", response={200: list[InboxSectionOut], **error_responses(401, 403)}, summary="待办 / My inbox"
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


@public_router.get(
    "/track/{code}",
    auth=None,
    response={200: TrackOut, **error_responses(404)},
    summary="进度查询（公开）/ Track a demand (public)",
)
def track(request: HttpRequest, code: str):
    """No login: the state and the replies of a demand, without anyone's name or phone number."""
    return public_track(code)
