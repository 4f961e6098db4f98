"""Authentication for the JSON API: a Bearer token, or the browser's session (for htmx pages).

The token check is one indexed lookup by hash (a plain SELECT joining the user and his memberships).
`last_used_at` is written at most once a minute per token so that a busy client does not turn every read
into a write.
"""

from __future__ import annotations

import datetime as dt
import functools
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja.security import HttpBearer, SessionAuth

from shaobao.api.models import ApiToken, hash_token
from shaobao.core.db import hot_cursor
from shaobao.intake.people import Seat
from shaobao.org import acting
from shaobao.org.models import Division, Membership

LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `manage.py api_token`."""

    openapi_bearerFormat = "opaque token (sb_…)"  # noqa: N815 - the OpenAPI key, verbatim
    openapi_description = "python manage.py api_token USERNAME"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        # One plain SELECT for the token, its user and the user's memberships (key_hash is unique; one row
        # per membership): this runs on every request, and building the ORM objects for it cost more CPU
        # than the database spent on it.
        query = _token_query()
        with hot_cursor() as cursor:
            cursor.execute(query.sql, [hash_token(token)])
            rows = cursor.fetchall()
        if not rows:
            return None
        user = query.user(rows[0])
        seats = tuple(query.seat(row) for row in rows if row[query.seat_at] is not None)
        user._shaobao_seats = _acting_seats(request, user, seats)
        token_id, last_used_at = rows[0][0], _aware(rows[0][1])
        now = timezone.now()
        if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        request.user = user
        request.api_token_id = token_id  # type: ignore[attr-defined]
        return user


class _TokenQuery:
    """The token look-up's SQL, and how its rows become the user (through the ORM's value converters,
    e.g. SQLite's naive datetimes made aware) and his `people.Seat`s (what `people.seats` would read)."""

    def __init__(self):
        user_model = get_user_model()
        qn = connection.ops.quote_name
        self.fields = list(user_model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.seat_at = 2 + len(self.fields)
        self.converters = [
            (i, converter, f.get_col("u"))
            for i, f in enumerate(self.fields)
            for converter in connection.ops.get_db_converters(f.get_col("u"))
            + f.get_db_converters(connection)
        ]
        user_columns = ", ".join(f"u.{qn(f.column)}" for f in self.fields)
        self.sql = (
            f"SELECT t.id, t.last_used_at, {user_columns}, m.role, d.id, d.code, d.level, d.parent_id, "
            f"m.unit_id FROM {ApiToken._meta.db_table} t JOIN {user_model._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
            f"LEFT JOIN {Division._meta.db_table} d ON d.id = m.division_id "
            f"WHERE t.key_hash = %s AND NOT t.revoked AND u.is_active ORDER BY m.id"
        )

    def user(self, row: tuple):
        values = list(row[2 : self.seat_at])
        for i, converter, expression in self.converters:
            values[i] = converter(values[i], expression, connection)
        return get_user_model().from_db(connection.alias, self.attnames, values)

    def seat(self, row: tuple) -> Seat:
        role, division_id, code, level, parent_id, unit_id = row[self.seat_at :]
        street_id = division_id if level == "street" else (parent_id if level == "community" else None)
        return Seat(role, division_id, code, level, street_id, unit_id)


@functools.cache
def _token_query() -> _TokenQuery:
    return _TokenQuery()


def _aware(value):
    """A raw column comes without the ORM's conversion (SQLite: text or naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _acting_value(request: HttpRequest) -> str | None:
    return request.headers.get(acting.HEADER) or request.GET.get(acting.PARAM)


def _acting_seats(request: HttpRequest, user, seats: tuple[Seat, ...]) -> tuple[Seat, ...]:
    """The seats of the area the request acts in (org.acting): the `X-Acting-In` header or `acting_in`
    parameter (400 naming `acting_in` when the user has no membership there), else the default area."""
    pairs = [(s.division_code, s.division_level) for s in seats]
    wanted = acting.check(_acting_value(request), pairs)
    if wanted:
        acting.request_area(user, wanted)
    chosen = acting.resolve(user, pairs)
    return tuple(s for s in seats if acting.keeps(chosen, s.division_code, s.division_level))


class Session(SessionAuth):
    """A logged-in browser user (CSRF-checked on unsafe methods)."""

    openapi_description = "浏览器登录会话（POST 需 X-CSRFToken）/ browser session; POST needs X-CSRFToken"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            value = _acting_value(request)
            if value:
                # The header overrides the session's choice for this request (validated: 400 when foreign).
                pairs = Membership.objects.filter(user=user).values_list("division__code", "division__level")
                acting.request_area(user, acting.check(value, pairs))
            return user
        return None


API_AUTH = [BearerToken(), Session()]
