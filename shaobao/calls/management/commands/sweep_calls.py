"""`manage.py sweep_calls [--once] [--interval 30]`: the calls' supervision sweep (calls.supervision) as a
long-running loop, beside the huey periodic task if wanted (assignments are claimed: each acted on once)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from shaobao.calls.supervision import sweep


class Command(BaseCommand):
    help = "Warn before and supervise after the deadlines of calls up the levels (loops unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")

    def handle(self, *args, once: bool = False, interval: float = 30.0, **options):
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
                result = sweep()
                if result or once:
                    self.stdout.write(f"calls sweep: {result or 'nothing due'}")
            except Exception as exc:  # noqa: BLE001 - keep looping; the next pass retries
                if once:
                    raise
                self.stderr.write(f"calls sweep failed: {exc!r}")
            if once or stopping:
                return
            close_old_connections()
            end = time.monotonic() + max(interval - (time.monotonic() - started), 0)
            while not stopping and time.monotonic() < end:
                time.sleep(min(1.0, end - time.monotonic()))
            if stopping:
                return
