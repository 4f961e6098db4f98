"""`manage.py sweep_deadlines [--once] [--interval 30]`: the supervision sweep as a long-running loop.

Safe beside the huey periodic task and beside other sweepers (rows are claimed; see supervision.py).
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from shaobao.whistles.supervision import BATCH, sweep


class Command(BaseCommand):
    help = "Warn, supervise and escalate summonses past their deadlines (loops unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")
        parser.add_argument("--batch", type=int, default=BATCH, help="rows claimed per transaction")

    def handle(self, *args, once: bool = False, interval: float = 30.0, batch: int = BATCH, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            started = time.monotonic()
            try:
                result = sweep(batch=batch)
                if result.total or once:
                    self.stdout.write(f"sweep: {result.as_dict() or 'nothing due'}")
            except Exception as exc:  # noqa: BLE001 - keep looping; the next pass retries the batch
                if once:
                    raise
                self.stderr.write(f"sweep failed: {exc!r}")
            if once or stopping:
                return
            close_old_connections()  # a long-running loop must not hold a broken or stale connection
            remaining = interval - (time.monotonic() - started)
            end = time.monotonic() + max(remaining, 0)
            while not stopping and time.monotonic() < end:
                time.sleep(min(1.0, end - time.monotonic()))
            if stopping:
                return
