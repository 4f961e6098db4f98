"""Queue tasks of the whistle workflow: the supervision sweep, every minute (huey periodic task)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shaobao.whistles.supervision import sweep


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=10, retry_backoff=2)
def sweep_deadlines_every_minute() -> dict:
    """Warnings, supervision orders and escalations for passed deadlines (claims rows, safe to overlap)."""
    return sweep().as_dict()
