"""Store the duplicate-detection fingerprints of demands that have none yet (a backfill).

Lookups compute missing fingerprints themselves, so this is never required; it spares the first lookups
in each street that work after an upgrade or a bulk import.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.db.models import Q

from shaobao.intake.models import Demand
from shaobao.routing.duplicates import OPEN_STATES, stored_fingerprints


class Command(BaseCommand):
    help = "为需求计算查重指纹 / Store duplicate-detection fingerprints of demands that have none"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="every demand, not only the open ones")
        parser.add_argument("--batch", type=int, default=2000, help="demands per transaction")

    def handle(self, *args, **options) -> None:
        qs = Demand.objects.filter(  # none yet, or one stored before signatures existed
            Q(routing_fingerprint__isnull=True) | Q(routing_fingerprint__minhash=b"")
        )
        if not options["all"]:
            qs = qs.filter(state__in=OPEN_STATES)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        bar = None
        if sys.stderr.isatty() and options["verbosity"] > 0:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit="demand")
        size = max(1, options["batch"])
        for start in range(0, len(ids), size):
            stored_fingerprints(ids[start : start + size])
            if bar is not None:
                bar.update(min(size, len(ids) - start))
        if bar is not None:
            bar.close()
        self.stdout.write(f"fingerprints stored: {len(ids)}")
