"""`python manage.py rollup_evaluation [--since DATE] [--until DATE]`: rebuild the evaluation rollup."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shaobao.evaluation.rollup import rollup_days, rollup_recent


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为YYYY-MM-DD / Dates must be YYYY-MM-DD: {value}") from exc


class Command(BaseCommand):
    help = (
        "Rebuild the daily evaluation rollup (default: the recent window, settings.EVALUATION_ROLLUP_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day to rebuild (YYYY-MM-DD)")
        parser.add_argument("--until", help="last day to rebuild (default: 62 days after today)")

    def handle(self, *args, since=None, until=None, **options):
        if since:
            run = rollup_days(_date(since), _date(until) if until else None)
        else:
            run = rollup_recent()
        self.stdout.write(
            f"rollup: {run.first_day}..{run.last_day}, {run.rows} rows in {run.seconds:.2f} s (as of {run.as_of:%Y-%m-%d %H:%M})"
        )
