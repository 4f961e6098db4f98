"""Queue tasks of the SMS: prepare and send one event's message, and the minute's retry sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shaobao.sms import sending as actions


@db_task(retries=2, retry_delay=10, retry_backoff=2)
def prepare_sms(name: str, payload: dict, event_id: str) -> int | None:
    message = actions.prepare(name, payload, event_id)
    if message is not None and message.status == "queued":  # the gateway failed: try again at the backoff
        from django.utils import timezone

        delay = max(1, (message.next_attempt_at - timezone.now()).total_seconds())
        send_sms.schedule((message.pk,), delay=delay)
    return message.pk if message else None


@db_task(retries=2, retry_delay=10, retry_backoff=2)
def send_sms(message_id: int) -> bool:
    retry_at = actions.send(message_id)
    if retry_at is not None:
        from django.utils import timezone

        send_sms.schedule((message_id,), delay=max(1, (retry_at - timezone.now()).total_seconds()))
    return retry_at is None


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=10, retry_backoff=2)
def retry_due_sms() -> int:
    return actions.retry_due()
