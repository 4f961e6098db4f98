"""What a queued notification does when the worker runs it: bell rows and e-mails.

Called by the tasks (`core.tasks`) and, for rows that must be written in the caller's transaction, by
the actions directly; `core.notifications` is the actions' entry point (it queues these after commit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from shaobao.core.messages import Msg, email_text, stored_text
from shaobao.core.models import Notification

log = logging.getLogger(__name__)


def row_fields(text: str | Msg) -> dict:
    """A notification's text columns: the default language's text, and the message and values if any."""
    if isinstance(text, Msg):
        return {"text": stored_text(text)[:300], "message": text.message[:200], "params": text.params}
    return {"text": text[:300]}


def create_rows(user_ids: Iterable[int], text: str | Msg, url: str = "") -> list[Notification]:
    fields = row_fields(text)
    rows = [Notification(user_id=uid, url=url[:300], **fields) for uid in sorted(set(user_ids))]
    return Notification.objects.bulk_create(rows)


def send_emails(user_ids: Iterable[int], text: str | Msg, url: str = "") -> int:
    """One e-mail per user with an address; failures are logged, never raised (the bell still works)."""
    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).exclude(email="")
    sent = 0
    text = email_text(text)
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


def deliver(user_ids: Iterable[int], text: str | Msg, url: str = "", *, email: bool = True) -> int:
    """Create the in-app rows and send the e-mails (what the queued task does)."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    create_rows(ids, text, url)
    if email:
        send_emails(ids, text, url)
    return len(ids)


def send_digests(counts: dict, template: str) -> int:
    """One e-mail per user: `template` formatted with n = that user's count (e.g. overdue items)."""
    sent = 0
    for uid, n in sorted((int(k), int(v)) for k, v in counts.items()):
        sent += send_emails([uid], template.format(n=n))
    return sent
