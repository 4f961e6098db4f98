"""File the duplicate-detection fingerprints and LSH bands of demands that have none (a backfill).

Every demand saved through Django is filed when it is saved; this command is for demands written around
it (a bulk import, `COPY`, fixtures) and once after upgrading from fingerprints without bands. Demands
whose bands are filed under another street or time than theirs (changed by a bulk UPDATE) are filed again.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Substr

from shaobao.intake.models import Demand
from shaobao.routing.duplicates import BODY_HEAD, OPEN_STATES, file_demands


class Command(BaseCommand):
    help = "为需求计算查重指纹 / File duplicate-detection fingerprints of demands that have none"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="every demand, not only the open ones")
        parser.add_argument("--batch", type=int, default=2000, help="demands per transaction")

    def handle(self, *args, **options) -> None:
        fp = "routing_fingerprint"
        stale = Q(street__isnull=False) & (
            Q(**{f"{fp}__street_id__isnull": True})
            | ~Q(**{f"{fp}__street_id": F("street_id")})
            | ~Q(**{f"{fp}__received_at": F("received_at")})
        )
        qs = Demand.objects.filter(Q(**{f"{fp}__isnull": True}) | stale)
        if not options["all"]:
            qs = qs.filter(state__in=OPEN_STATES)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        bar = None
        if sys.stderr.isatty() and options["verbosity"] > 0:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit="demand")
        size = max(1, options["batch"])
        for start in range(0, len(ids), size):
            rows = (
                Demand.objects.filter(pk__in=ids[start : start + size])
                .annotate(head=Substr("body", 1, BODY_HEAD))
                .values_list("id", "subject", "head", "street_id", "received_at")
            )
            with transaction.atomic():
                file_demands(rows, refile=True)
            if bar is not None:
                bar.update(min(size, len(ids) - start))
        if bar is not None:
            bar.close()
        self.stdout.write(f"fingerprints stored: {len(ids)}")
