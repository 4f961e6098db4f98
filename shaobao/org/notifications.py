"""Bell rows for the members of a division in given roles (memberships are org's, so this lives here,
above core's notifications)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from shaobao.core.delivery import row_fields
from shaobao.core.messages import Msg
from shaobao.core.models import Notification
from shaobao.core.notifications import email_on_commit
from shaobao.org.models import Membership


def notify_members_now(
    division_id: int, roles: Iterable[str], text: str | Msg, url: str = "", *, email: bool = True
) -> list[int]:
    """Bell rows for the active members of a division in `roles`, written by one INSERT ... SELECT in the
    caller's transaction (so they become visible exactly when the action commits and vanish if it rolls
    back); the e-mails, if wanted, are queued after commit. Returns the user ids notified.

    Cheaper than `notify_on_commit` on hot paths (demand intake): no recipient look-up round trip and no
    queued task unless e-mail is wanted."""
    roles = sorted(set(roles))
    if not roles:
        return []
    membership = Membership._meta.db_table
    users = get_user_model()._meta.db_table
    placeholders = ", ".join(["%s"] * len(roles))
    sql = (
        f"INSERT INTO {Notification._meta.db_table} (user_id, text, message, params, url, created_at) "
        f"SELECT DISTINCT m.user_id, %s, %s, %s, %s, %s FROM {membership} m "
        f"JOIN {users} u ON u.id = m.user_id AND u.is_active "
        f"WHERE m.division_id = %s AND m.role IN ({placeholders}) RETURNING user_id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        fields = row_fields(text)
        params = fields.get("params")
        message = fields.get("message", "")
        params = None if params is None else json.dumps(params, ensure_ascii=False)
        cursor.execute(sql, [fields["text"], message, params, url[:300], now, division_id, *roles])
        ids = sorted(int(row[0]) for row in cursor.fetchall())
    if email and ids:
        email_on_commit(ids, text, url)
    return ids
