"""Queue tasks of the calls up the levels: their supervision sweep, every minute (huey periodic task,
retried with backoff like the whistles' and the key tasks')."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shaobao.calls.supervision import sweep


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=10, retry_backoff=2)
def sweep_calls() -> dict:
    """Warnings before the departments' report-in and finish deadlines, overdue marks when they pass."""
    return sweep()
