"""Authentication for the JSON API: a Bearer token, or the browser's session (for htmx pages).

The token check is one indexed lookup by hash (a raw SELECT joining the user). `last_used_at` is written at most once a minute per
token so that a busy client does not turn every read into a write.
"""

from __future__ import annotations

import datetime as dt
import functools
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
        # One raw SELECT joining the user (key_hash is unique): this runs on every request, and building
        # the equivalent ORM query with select_related cost more CPU than the database spent on it.
        found = list(get_user_model().objects.raw(_token_sql(), [hash_token(token)]))
        if not found:
            return None
        user = found[0]
        token_id, last_used_at = user.sb_token_id, _aware(user.sb_token_last_used_at)
        now = timezone.now()
        if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        request.user = user
        request.api_token_id = token_id  # type: ignore[attr-defined]
        return user


@functools.cache
def _token_sql() -> str:
    users = get_user_model()._meta.db_table
    return (
        f"SELECT u.*, t.id AS sb_token_id, t.last_used_at AS sb_token_last_used_at "
        f"FROM {ApiToken._meta.db_table} t JOIN {users} u ON u.id = t.user_id "
        f"WHERE t.key_hash = %s AND NOT t.revoked AND u.is_active"
    )


def _aware(value):
    """An extra column of a raw query comes without the ORM's conversion (SQLite: text, naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


class Session(SessionAuth):
    """A logged-in browser user (CSRF-checked on unsafe methods)."""

    openapi_description = "浏览器登录会话（POST 需 X-CSRFToken）/ browser session; POST needs X-CSRFToken"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


API_AUTH = [BearerToken(), Session()]
