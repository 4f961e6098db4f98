"""What a queued notification does when the worker runs it: bell rows and e-mails.

Called by the tasks (`core.tasks`) and, for rows that must be written in the caller's transaction, by
the actions directly; `core.notifications` is the actions' entry point (it queues these after commit).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from shaobao.core.messages import Msg, email_text, stored_text
from shaobao.core.models import Notification


def row_fields(text: str | Msg) -> dict:
    """A notification's text columns: the default language's text, and the message and values if any."""
    if isinstance(text, Msg):
        return {"text": stored_text(text)[:300], "message": text.message[:200], "params": text.params}
    return {"text": text[:300]}


def create_rows(user_ids: Iterable[int], text: str | Msg, url: str = "") -> list[Notification]:
    fields = row_fields(text)
    rows = [Notification(user_id=uid, url=url[:300], **fields) for uid in sorted(set(user_ids))]
    return Notification.objects.bulk_create(rows)


def email_recipients(user_ids: Iterable[int]) -> list[int]:
    """The active users among `user_ids` who have an e-mail address."""
    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).exclude(email="")
    return sorted(users.values_list("pk", flat=True))


def send_email(user_id: int, text: str | Msg, url: str = "") -> int:
    """One user's e-mail (both languages). A failure raises: the queue retries this one e-mail with backoff
    and records its final failure for the administrator, without sending the others twice."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return 0
    text = email_text(text)
    return send_mail(
        subject=f"[哨报 Shaobao] {text[:60]}",
        message=f"{text}\n\n{url}" if url else text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
