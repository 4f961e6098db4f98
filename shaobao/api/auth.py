"""Authentication for the JSON API: a Bearer token, or the browser's session (for htmx pages).

The token check is one indexed lookup by hash. `last_used_at` is written at most once a minute per
token so that a busy client does not turn every read into a write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from shaobao.api.models import ApiToken, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `manage.py api_token`."""

    openapi_bearerFormat = "opaque token (sb_…)"  # noqa: N815 - the OpenAPI key, verbatim
    openapi_description = "python manage.py api_token USERNAME"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        # key_hash is unique: no ORDER BY needed (cheaper than .first(), this runs on every request).
        found = list(
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked=False, user__is_active=True)
            .order_by()[:1]
        )
        api_token = found[0] if found else None
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class Session(SessionAuth):
    """A logged-in browser user (CSRF-checked on unsafe methods)."""

    openapi_description = "浏览器登录会话（POST 需 X-CSRFToken）/ browser session; POST needs X-CSRFToken"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


API_AUTH = [BearerToken(), Session()]
