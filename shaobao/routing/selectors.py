"""Reads for the admin and reports: acceptance of proposals per matter and month."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from shaobao.routing.models import ProposalRecord


def acceptance_by_matter(*, months: int = 6) -> dict:
    """Per chosen matter and month: proposals recorded, matter accepted, units accepted, rate.

    Grouped by the matter the dispatcher chose (a proposal's quality is judged against the truth).
    """
    since = (timezone.now() - dt.timedelta(days=31 * months)).replace(day=1, hour=0, minute=0, second=0)
    rows = (
        ProposalRecord.objects.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "chosen_matter__code", "chosen_matter__name")
        .annotate(
            n=Count("id"),
            matter_ok=Count("id", filter=Q(matter_accepted=True)),
            units_ok=Count("id", filter=Q(units_accepted=True)),
        )
        .order_by("chosen_matter__code", "month")
    )
    month_keys: list[str] = []
    table: dict[str, dict] = {}
    totals = {"n": 0, "matter_ok": 0, "units_ok": 0}
    for r in rows:
        key = r["month"].strftime("%Y-%m") if r["month"] else "?"
        if key not in month_keys:
            month_keys.append(key)
        code = r["chosen_matter__code"] or "—"
        entry = table.setdefault(
            code, {"code": code, "name": r["chosen_matter__name"] or "", "months": {}, "n": 0, "matter_ok": 0}
        )
        entry["months"][key] = {"n": r["n"], "rate": r["matter_ok"] / r["n"]}
        entry["n"] += r["n"]
        entry["matter_ok"] += r["matter_ok"]
        for k in totals:
            totals[k] += r[k]
    month_keys.sort()
    for entry in table.values():
        entry["rate"] = entry["matter_ok"] / entry["n"] if entry["n"] else None
        entry["cells"] = [entry["months"].get(m) for m in month_keys]
    return {
        "months": month_keys,
        "matters": sorted(table.values(), key=lambda e: -e["n"]),
        "total": totals["n"],
        "matter_rate": totals["matter_ok"] / totals["n"] if totals["n"] else None,
        "units_rate": totals["units_ok"] / totals["n"] if totals["n"] else None,
    }
