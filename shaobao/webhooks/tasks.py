"""Queue tasks of the webhooks: send one delivery (and schedule its retry), and the minute's sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shaobao.webhooks import delivery


@db_task(retries=2, retry_delay=10, retry_backoff=2)
def send_delivery(delivery_id: int) -> bool:
    """One attempt; a failed one schedules the next at its backoff (the sweep is the safety net)."""
    retry_at = delivery.attempt(delivery_id)
    if retry_at is not None:
        from django.utils import timezone

        send_delivery.schedule((delivery_id,), delay=max(1, (retry_at - timezone.now()).total_seconds()))
    return retry_at is None


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=10, retry_backoff=2)
def retry_due_webhooks() -> int:
    """Deliveries due for a retry, or left by a lost task or a dead worker's lease."""
    return delivery.retry_due()
