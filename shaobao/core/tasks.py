"""Queue tasks (huey): thin wrappers around the services, so they stay testable without a worker.

In tests (SHAOBAO_TESTING=1) huey runs in immediate mode: a task runs when it is enqueued.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from shaobao.core import delivery


@db_task(retries=4, retry_delay=30, retry_backoff=2)
def deliver_notification(user_ids: list[int], text: str, url: str = "", email: bool = True) -> int:
    return delivery.deliver(user_ids, text, url, email=email)


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def send_notification_emails(user_ids: list[int], text: str, url: str = "") -> int:
    return delivery.send_emails(user_ids, text, url)


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def send_digest_emails(counts: dict, template: str) -> int:
    return delivery.send_digests(counts, template)
