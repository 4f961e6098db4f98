"""The key tasks' figure in the unit evaluation (registered in evaluation.extras.PROVIDERS).

Evaluation sits above this app, so the figure is defined here without importing it: an object with the
attributes of `evaluation.extras.UnitFigure` (code, label, compute, digits, higher_is_better)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from shaobao.core.calendar import local_tz
from shaobao.keytasks.models import KeyTask, KeyTaskState


@dataclass(frozen=True)
class _Figure:
    code: str
    label: str
    compute: object
    digits: int = 0
    higher_is_better: bool = True


def overdue_key_tasks(unit_ids: set[int], period) -> dict[int, int]:
    """Key tasks a unit leads whose deadline fell in the period (or before its end) and that were not
    completed by it: still open past the deadline, or completed late within or after the period."""
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=local_tz())
    start = dt.datetime.combine(period.first, dt.time(0, 0), tzinfo=local_tz())
    late = Q(state=KeyTaskState.OPEN) | Q(done_at__gt=F("deadline"))
    rows = (
        KeyTask.objects.filter(lead_unit_id__in=list(unit_ids), deadline__lt=end)
        .filter(late)
        # open tasks count in every period after their deadline; late completions up to their completion
        .filter(Q(state=KeyTaskState.OPEN) | Q(done_at__gte=start))
        .values_list("lead_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {uid: n for uid, n in rows}


OVERDUE_KEY_TASKS = _Figure(
    code="overdue_key_tasks",
    label=_("overdue key tasks"),
    compute=overdue_key_tasks,
    digits=0,
    higher_is_better=False,
)
