"""The host's assessment of a unit's cadres, as a figure on the unit's evaluation (evaluation.extras).

Evaluation sits above forces and lists this object in `extras.PROVIDERS`; forces never imports evaluation,
so the figure is a plain object with the fields of `extras.UnitFigure` (code, label, compute, digits,
higher_is_better)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from shaobao.forces.selectors import host_scores


@dataclass(frozen=True)
class HostFigure:
    code: str
    label: Any
    compute: Any
    digits: int = 1
    higher_is_better: bool = True


def _compute(unit_ids: set[int], period) -> dict[int, float]:
    """Average score (0-100) the hosts gave the unit's cadres in rounds overlapping the period."""
    return {k: round(v, 1) for k, v in host_scores(set(unit_ids), period.first, period.last).items()}


HOST_ASSESSMENT = HostFigure(
    code="host_assessment", label=_("Host's assessment of deployed cadres"), compute=_compute, digits=1
)
