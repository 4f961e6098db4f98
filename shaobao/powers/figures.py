"""The figure the powers app adds to the unit evaluation (registered in `shaobao.evaluation.extras.PROVIDERS`).

Evaluation sits above powers, so this module does not import it: `URGE_NOTES` has the shape of
`extras.UnitFigure` (code, label, compute, digits, higher_is_better).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.powers.models import NoteKind, StreetNote


def _bounds(period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def urge_notes(unit_ids: set[int], period) -> dict[int, int]:
    """{unit id: urge notes (统筹督促) the streets issued to the unit in the period}."""
    start, end = _bounds(period)
    rows = (
        StreetNote.objects.filter(
            kind=NoteKind.URGE, unit_id__in=unit_ids, created_at__gte=start, created_at__lt=end
        )
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    return dict(rows)


@dataclass(frozen=True)
class Figure:
    code: str
    label: Any
    compute: Any
    digits: int = 0
    higher_is_better: bool = True


URGE_NOTES = Figure("urge_notes", _("urge notes from streets"), urge_notes, 0, False)
