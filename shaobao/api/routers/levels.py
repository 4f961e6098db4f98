"""Several levels on one installation (docs/levels.md): the area a request acts in, the calls up the levels
(乡呼县应, shaobao.calls) and the city's rankings.

Views only parse → access → do → serialize; the rules live in `shaobao.org.acting` and `shaobao.calls`.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shaobao.api.schemas import error_responses
from shaobao.org import acting, scoping
from shaobao.org.access import require_member
from shaobao.org.models import Membership

router = Router(tags=["levels 多级 · 乡呼县应"])


class AreaOut(Schema):
    key: str
    code: str
    name: str
    level: str
    current: bool


class ActingOut(Schema):
    current: str | None
    areas: list[AreaOut]


class ActingIn(Schema):
    area: str


def _acting(request: HttpRequest) -> dict:
    areas = scoping.areas_of(request.user)
    current = next((a.key for a in areas if a.current), None)
    return {"current": current, "areas": [a.__dict__ for a in areas]}


@router.get(
    "/acting", response={200: ActingOut, **error_responses(400, 401, 403)}, summary="所在区县 / Acting in"
)
def get_acting(request: HttpRequest):
    """The areas (districts, the city) the caller belongs to and the one this request acts in. Choose
    per request with the `X-Acting-In` header or the `acting_in` parameter (a district's 6-digit code or
    a city's 4-digit code, or the 12-digit form); without it the browser session's choice or the default
    (the highest level, then the lowest code) applies."""
    require_member(request.user)
    return _acting(request)


@router.post(
    "/acting", response={200: ActingOut, **error_responses(400, 401, 403)}, summary="切换区县 / Act in"
)
def set_acting(request: HttpRequest, payload: ActingIn):
    """Act in another area from now on (the browser session's choice, as the top bar's picker); with a
    token, which has no session, this only validates the area: send `X-Acting-In` with each request."""
    require_member(request.user)
    pairs = Membership.objects.filter(user=request.user).values_list("division__code", "division__level")
    key = acting.check(payload.area or "-", pairs, field="area")
    session = getattr(request, "session", None)
    if session is not None and getattr(request, "api_token_id", None) is None:
        session[acting.SESSION_KEY] = key
    acting.request_area(request.user, key)
    return _acting(request)
