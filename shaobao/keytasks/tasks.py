"""Queue tasks of the key tasks: their supervision sweep, every 10 minutes (huey periodic task, retried)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shaobao.keytasks.supervision import sweep


@db_periodic_task(crontab(minute="*/10"), retries=2, retry_delay=10, retry_backoff=2)
def sweep_key_tasks() -> dict:
    """Warnings at 75 % of a key task's time, supervision orders when it is overdue, escalations."""
    return sweep()
