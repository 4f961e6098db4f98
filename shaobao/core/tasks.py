"""Queue tasks (huey): thin wrappers around the services, so they stay testable without a worker.

In tests (SHAOBAO_TESTING=1) huey runs in immediate mode: a task runs when it is enqueued.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shaobao.core import delivery, events, partitions


@db_task(retries=4, retry_delay=30, retry_backoff=2)
def deliver_notification(user_ids: list[int], text, url: str = "", email: bool = True) -> int:
    """The bell rows, then one queued e-mail per recipient with an address."""
    rows = delivery.create_rows(user_ids, text, url)
    if email:
        send_notification_emails(user_ids, text, url)
    return len(rows)


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def send_notification_emails(user_ids: list[int], text, url: str = "") -> int:
    """Fan out: one task per e-mail, so a failing address is retried (and recorded) on its own."""
    recipients = delivery.email_recipients(user_ids)
    for uid in recipients:
        send_notification_email(uid, text, url)
    return len(recipients)


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def send_notification_email(user_id: int, text, url: str = "") -> int:
    return delivery.send_email(user_id, text, url)


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def send_digest_emails(counts: dict, template: str) -> int:
    """One e-mail per user: `template` formatted with n = that user's count (e.g. overdue items)."""
    for uid, n in sorted((int(k), int(v)) for k, v in counts.items()):
        send_notification_email(uid, template.format(n=n))
    return len(counts)


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=10, retry_backoff=2)
def redeliver_domain_events() -> dict:
    """Domain events still owed to a subscriber (a process died after its commit, a subscriber failed)."""
    return events.redeliver_due()


@db_periodic_task(crontab(hour="3", minute="17"), retries=3, retry_delay=300, retry_backoff=2)
def ensure_partitions_daily() -> list[str]:
    """The coming months' partitions of the audit record (PostgreSQL), created well before they are needed;
    until then (or should this keep failing) rows land in the default partition, never lost."""
    return partitions.ensure_partitions()
