"""Queue tasks of the key tasks: their supervision sweep, every 10 minutes (huey periodic task, retried)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shaobao.keytasks.supervision import sweep


@db_periodic_task(crontab(minute="*/10"), retries=2, retry_delay=10, retry_backoff=2)
def sweep_key_tasks() -> dict:
    """Warnings at 75 % of a key task's time, supervision orders when it is overdue, escalations."""
    return sweep()


@db_periodic_task(crontab(minute="20", hour="3"), retries=2, retry_delay=60, retry_backoff=2)
def roll_up_topic_months() -> list[str]:
    """Each night: the monthly demand counts of the settled months the next candidates will read."""
    from django.utils import timezone

    from shaobao.keytasks import topics

    now = timezone.now()
    months = [topics.month_label(topics.month_bounds(topics.month_label(now), -k)[0]) for k in range(1, 5)]
    return [m for m in months if topics.ensure_rolled(m, now=now)]
