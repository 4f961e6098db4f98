"""Acting in: which of a user's districts (or the city) a request acts in.

One installation serves a city with its districts. A user may hold memberships in several *areas*: each
district (a unit that serves two counties, a coordinator of two districts) and the city or province level
itself (a city coordinator). An area is named by its code prefix: 6 digits for a district (a membership in
a street or community belongs to its district), 4 for a city, 2 for a province.

A request acts in exactly one area: the scope (`org.models.scope_of`) and the workflow's seats
(`intake.people.seats`) keep only the memberships of that area, so a multi-district user never mixes two
districts on one page and never silently loses one either — the choice is explicit:

- pages: a picker in the top bar (`org:acting`) stores the choice in the session (`SESSION_KEY`);
  `ActingInMiddleware` hands it to the user object;
- the API: the `X-Acting-In` header or the `acting_in` query parameter (validated: 400 naming
  `acting_in`), else the session's choice, else the default;
- the default (nothing chosen, or a stale choice): the highest level first (the city before its
  districts), then the lowest code. The top bar always shows the area acted in and the others to pick.

A user with memberships in one area only is never filtered (nothing to choose).
"""

from __future__ import annotations

from collections.abc import Iterable

from shaobao.core.errors import ValidationFailed

SESSION_KEY = "shaobao_acting_in"
HEADER = "X-Acting-In"
PARAM = "acting_in"

# Digits of the area key for a membership at each level (street and community belong to their district).
AREA_DIGITS = {"province": 2, "city": 4, "district": 6, "street": 6, "community": 6}


def area_key(code: str, level: str) -> str:
    """The area a membership in the division (`code`, `level`) belongs to."""
    return code[: AREA_DIGITS.get(level, 6)]


def _sort_key(key: str) -> tuple[int, str]:
    return (len(key), key)


def keys_of(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The distinct areas of memberships given as (division code, level), in default order."""
    return tuple(sorted({area_key(code, level) for code, level in pairs}, key=_sort_key))


def requested(user) -> str | None:
    return getattr(user, "_shaobao_acting_requested", None)


def request_area(user, key: str | None) -> None:
    """Ask that this user object act in `key` (validated when the memberships are read); clears the
    cached scope and seats so that they are computed again for the area."""
    user._shaobao_acting_requested = (key or "").strip() or None
    for cached in ("_shaobao_scope", "_shaobao_seats", "_shaobao_acting"):
        if hasattr(user, cached):
            delattr(user, cached)


def resolve(user, pairs: Iterable[tuple[str, str]]) -> str | None:
    """The area the user acts in, given all his memberships as (code, level); None when there is at most
    one area (nothing to filter). A requested area the user does not belong to falls back to the default
    (the API validates its header before, with `check`)."""
    keys = keys_of(pairs)
    user._shaobao_areas = keys
    if len(keys) <= 1:
        user._shaobao_acting = keys[0] if keys else None
        return None
    wanted = requested(user)
    chosen = wanted if wanted in keys else keys[0]
    user._shaobao_acting = chosen
    return chosen


def keeps(chosen: str | None, code: str, level: str) -> bool:
    """Whether a membership in (`code`, `level`) counts when acting in `chosen`."""
    return chosen is None or area_key(code, level) == chosen


def check(value: str | None, pairs: Iterable[tuple[str, str]], *, field: str = PARAM) -> str | None:
    """An area asked for through the API: None when not given; ValidationFailed (400 naming `acting_in`)
    when it is not one of the user's areas."""
    value = (value or "").strip()
    if not value:
        return None
    keys = keys_of(pairs)
    short = value.rstrip("0") if len(value) == 12 else value
    for key in keys:
        if value == key or short == key.rstrip("0") or value == key.ljust(12, "0"):
            return key
    raise ValidationFailed(
        f"您不属于 {value} / You do not belong to {value}",
        fields={field: f"不是您所属的区县或市 / not one of your areas: {', '.join(keys) or '—'}"},
        code="invalid_acting_in",
    )


class ActingInMiddleware:
    """Hands the session's choice of area to the signed-in user object (after AuthenticationMiddleware).
    The session is read only when the request carries a session cookie; nothing else is loaded here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            value = session.get(SESSION_KEY)
            if value:
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    request_area(user, value)
        return self.get_response(request)
