"""`python manage.py load_demo [--if-empty] [--no-month]`: the demo district (Pinggu, 110117)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.demo.checkin import load_checkin_demo
from shaobao.demo.forces import load_forces_in_the_chain
from shaobao.demo.households import load_households_demo
from shaobao.demo.keytasks import load_key_tasks
from shaobao.demo.loader import load_demo_district
from shaobao.demo.month import simulate_month
from shaobao.demo.powers import load_street_notes
from shaobao.org.models import Division


class Command(BaseCommand):
    help = "加载演示区（平谷区）/ Load the demo district (Pinggu)"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if any division exists (fast second `make run`)",
        )
        parser.add_argument(
            "--no-month", action="store_true", help="skip the simulated month of demands and whistles"
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Division.objects.exists():
            self.stdout.write("数据库已有数据，跳过演示数据 / database not empty: demo not loaded")
            return
        started = time.monotonic()
        try:
            result = load_demo_district()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({time.monotonic() - started:.1f} s)"))
        started = time.monotonic()
        checkin = load_checkin_demo(Division.objects.get(code=Division.full_code("110117"), level="district"))
        self.stdout.write(self.style.SUCCESS(f"{checkin.summary()} ({time.monotonic() - started:.1f} s)"))
        started = time.monotonic()
        homes = load_households_demo(
            Division.objects.get(code=Division.full_code("110117"), level="district")
        )
        self.stdout.write(self.style.SUCCESS(f"{homes.summary()} ({time.monotonic() - started:.1f} s)"))
        if options["no_month"]:
            return
        started = time.monotonic()
        district = Division.objects.get(code=Division.full_code("110117"), level="district")
        try:
            month = simulate_month(district)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{month.summary()} ({time.monotonic() - started:.1f} s)"))
        notes = load_street_notes(district)
        if notes:
            self.stdout.write(self.style.SUCCESS(notes))
        started = time.monotonic()
        key_tasks = load_key_tasks(district)
        self.stdout.write(self.style.SUCCESS(f"{key_tasks.summary()} ({time.monotonic() - started:.1f} s)"))
        chain = load_forces_in_the_chain(district)
        if chain:
            self.stdout.write(self.style.SUCCESS(chain))
