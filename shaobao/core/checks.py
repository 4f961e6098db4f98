"""`manage.py check` (and every server start): warn an administrator whose holiday data runs out."""

from __future__ import annotations

from django.core import checks
from django.utils import timezone

from shaobao.core import calendar


@checks.register(checks.Tags.database, deploy=False)
def holiday_plan_known(app_configs=None, databases=None, **kwargs):
    """This year's holidays, and from October next year's, must be known, or deadlines run over them."""
    if not databases:  # the calendar's entered days are in the database
        return []
    today = timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    return [
        checks.Warning(
            f"No holiday plan for {year}: deadlines count Monday–Friday as working days.",
            hint="Enter the State Council's holiday plan for that year in the admin "
            "(Core › Holiday plan days): each holiday as a rest day, each swapped working day as a "
            "working day (docs/workflow.md, section Holidays).",
            id="shaobao.W001",
        )
        for year in years
        if not calendar.covered(year)
    ]
