"""`manage.py ensure_partitions [--months N]`: create the coming months' partitions (PostgreSQL; see
shaobao/core/partitions.py). The huey task `ensure_partitions_daily` does the same every day."""

import datetime as dt

from django.core.management.base import BaseCommand

from shaobao.core import partitions


class Command(BaseCommand):
    help = "Create this month's and the coming months' partitions of the partitioned tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=partitions.DEFAULT_MONTHS_AHEAD)
        parser.add_argument("--since", help="YYYY-MM: also every month from this one (before an import)")

    def handle(self, *args, **options):
        since = dt.date.fromisoformat(f"{options['since']}-01") if options["since"] else None
        created = partitions.ensure_partitions(months_ahead=options["months"], since=since)
        for name in created:
            self.stdout.write(f"created {name}")
        if not created:
            self.stdout.write("nothing to create")
