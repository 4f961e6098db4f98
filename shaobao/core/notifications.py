"""Notifications: in-app rows (the bell) and e-mail, delivered after the action's commit.

Actions call `notify_on_commit(...)`; the message is handed to the queue (`core.tasks.deliver`) only
when the transaction commits, so a rolled-back action never notifies anyone. The sweep, which must
write its notification rows in the same transaction as its claim, calls `create_rows` directly and
queues only the e-mail. What the queued tasks do lives in `core.delivery` (below core.tasks, so that
this module and the tasks do not import each other); bell rows for a division's members are written by
`org.notifications.notify_members_now` (memberships are org's).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from shaobao.core import tasks
from shaobao.core.delivery import create_rows  # noqa: F401 - re-exported: the sweep's and platform's entry
from shaobao.core.messages import Msg, msg  # noqa: F401 - msg re-exported: the actions' way to write a text
from shaobao.core.models import Notification


def notify_on_commit(user_ids: Iterable[int], text: str | Msg, url: str = "", *, email: bool = True) -> None:
    """Queue a notification once the current transaction commits (immediately if there is none)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def enqueue() -> None:
        tasks.deliver_notification(ids, text, url, email)

    transaction.on_commit(enqueue)


def email_on_commit(user_ids: Iterable[int], text: str | Msg, url: str = "") -> None:
    """Queue only the e-mails (the rows were written in the transaction itself)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def enqueue() -> None:
        tasks.send_notification_emails(ids, text, url)

    transaction.on_commit(enqueue)


def digest_on_commit(counts: dict[int, int], template: str) -> None:
    """Queue one task that e-mails each user a digest line, after commit (the sweep's e-mails)."""
    if not counts:
        return
    payload = {str(k): int(v) for k, v in counts.items()}

    def enqueue() -> None:
        tasks.send_digest_emails(payload, template)

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
