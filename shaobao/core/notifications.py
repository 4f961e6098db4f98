"""Notifications: in-app rows (the bell) and e-mail, delivered after the action's commit.

Actions call `notify_on_commit(...)`; the message is handed to the queue (`core.tasks.deliver`) only
when the transaction commits, so a rolled-back action never notifies anyone. The sweep, which must
write its notification rows in the same transaction as its claim, calls `create_rows` directly and
queues only the e-mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from shaobao.core.models import Notification
from shaobao.org.models import Membership

log = logging.getLogger(__name__)


def create_rows(user_ids: Iterable[int], text: str, url: str = "") -> list[Notification]:
    rows = [Notification(user_id=uid, text=text[:300], url=url[:300]) for uid in sorted(set(user_ids))]
    return Notification.objects.bulk_create(rows)


def send_emails(user_ids: Iterable[int], text: str, url: str = "") -> int:
    """One e-mail per user with an address; failures are logged, never raised (the bell still works)."""
    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).exclude(email="")
    sent = 0
    body = f"{text}\n\n{url}" if url else text
    for user in users:
        try:
            sent += send_mail(
                subject=f"[哨报 Shaobao] {text[:60]}",
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        except Exception:  # noqa: BLE001 - a broken mail server must not break the queue
            log.exception("could not send notification e-mail to user %s", user.pk)
    return sent


def deliver(user_ids: Iterable[int], text: str, url: str = "", *, email: bool = True) -> int:
    """Create the in-app rows and send the e-mails (what the queued task does)."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    create_rows(ids, text, url)
    if email:
        send_emails(ids, text, url)
    return len(ids)


def notify_on_commit(user_ids: Iterable[int], text: str, url: str = "", *, email: bool = True) -> None:
    """Queue a notification once the current transaction commits (immediately if there is none)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def enqueue() -> None:
        from shaobao.core.tasks import deliver_notification

        deliver_notification(ids, text, url, email)

    transaction.on_commit(enqueue)


def notify_members_now(
    division_id: int, roles: Iterable[str], text: str, url: str = "", *, email: bool = True
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
        f"INSERT INTO {Notification._meta.db_table} (user_id, text, url, created_at) "
        f"SELECT DISTINCT m.user_id, %s, %s, %s FROM {membership} m "
        f"JOIN {users} u ON u.id = m.user_id AND u.is_active "
        f"WHERE m.division_id = %s AND m.role IN ({placeholders}) RETURNING user_id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [text[:300], url[:300], now, division_id, *roles])
        ids = sorted(int(row[0]) for row in cursor.fetchall())
    if email and ids:
        email_on_commit(ids, text, url)
    return ids


def email_on_commit(user_ids: Iterable[int], text: str, url: str = "") -> None:
    """Queue only the e-mails (the rows were written in the transaction itself)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def enqueue() -> None:
        from shaobao.core.tasks import send_notification_emails

        send_notification_emails(ids, text, url)

    transaction.on_commit(enqueue)


def send_digests(counts: dict, template: str) -> int:
    """One e-mail per user: `template` formatted with n = that user's count (e.g. overdue items)."""
    sent = 0
    for uid, n in sorted((int(k), int(v)) for k, v in counts.items()):
        sent += send_emails([uid], template.format(n=n))
    return sent


def digest_on_commit(counts: dict[int, int], template: str) -> None:
    """Queue one task that e-mails each user a digest line, after commit (the sweep's e-mails)."""
    if not counts:
        return
    payload = {str(k): int(v) for k, v in counts.items()}

    def enqueue() -> None:
        from shaobao.core.tasks import send_digest_emails

        send_digest_emails(payload, template)

    transaction.on_commit(enqueue)


# --- reads for the bell -----------------------------------------------------------------------------


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent_for(user, limit: int = 20):
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user)[:limit]


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or those in `ids`) as read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
