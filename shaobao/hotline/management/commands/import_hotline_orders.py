"""Receive 12345 work orders from .xlsx files (or a JSON file of orders) as a user of the gateway.

    python manage.py import_hotline_orders orders.xlsx [more.xlsx ...] --user gateway

Each file is one all-or-nothing batch; errors are printed with row and column, and the exit status is 1.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.hotline import actions, xlsx
from shaobao.hotline.models import OrderSource


class Command(BaseCommand):
    help = "Receive 12345 work orders from .xlsx or .json files (each file all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--user", required=True, help="the gateway's account (permission hotline.post_orders)"
        )

    def handle(self, *args, files, user, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {user!r}")
        failed = False
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            if path.suffix.lower() == ".json":
                data = json.loads(path.read_text("utf-8"))
                rows = data["orders"] if isinstance(data, dict) else data
                numbers, columns, problems = None, None, []
            else:
                rows, numbers, columns, problems = xlsx.read_orders(path.read_bytes())
            if not problems:
                try:
                    result = actions.do_receive_orders(
                        actor=actor,
                        rows=rows,
                        source=OrderSource.COMMAND,
                        row_numbers=numbers,
                        columns=columns,
                    )
                except actions.BatchInvalid as exc:
                    problems = exc.rows
                except DomainError as exc:
                    raise CommandError(f"{name}: {exc}") from exc
            if problems:
                failed = True
                self.stderr.write(f"{name}: {len(problems)} error(s), nothing written")
                for e in problems:
                    where = f"row {e.row}" + (f" column {e.column}" if e.column else "") + f" ({e.field})"
                    self.stderr.write(f"  {where}: {e.message}")
                continue
            self.stdout.write(f"{name}: {result.created} new, {result.existing} already received")
            for a in result.answers:
                self.stdout.write(f"  {a.order_no}\t{a.tracking_code}\t{a.status}")
        if failed:
            raise SystemExit(1)
