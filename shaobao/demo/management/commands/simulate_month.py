"""`python manage.py simulate_month [--month YYYY-MM] [--seed N] [--per-day N]`: a simulated month of
demands and whistles through the real actions (see shaobao/demo/month.py), then the evaluation rollup."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.demo.month import simulate_month
from shaobao.org.models import Division


class Command(BaseCommand):
    help = "模拟一个月的诉求和吹哨 / Simulate a month of demands and whistles through the real actions"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--per-day", type=int, default=6, help="demands per day on average")
        parser.add_argument("--district", default="110117", help="district code (default: the demo district)")

    def handle(self, *args, **options) -> None:
        district = Division.objects.filter(
            code=Division.full_code(options["district"]), level="district"
        ).first()
        if district is None:
            raise CommandError("区不存在，请先 load_demo / District not found: run load_demo first")
        started = time.monotonic()
        try:
            result = simulate_month(
                district, month=options["month"], seed=options["seed"], per_day=options["per_day"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({time.monotonic() - started:.1f} s)"))
