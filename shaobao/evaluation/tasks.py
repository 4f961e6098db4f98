"""Periodic work of the evaluation app (huey): keep the rollup fresh."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shaobao.evaluation.rollup import rollup_recent


@db_periodic_task(crontab(minute="7"), retries=3, retry_delay=60, retry_backoff=2)
def rollup_evaluation_hourly() -> None:
    """Rebuild the recent window every hour, so indicator pages are at most an hour behind."""
    rollup_recent()
