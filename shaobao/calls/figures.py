"""The calls' figure in the unit evaluation (registered in evaluation.extras.PROVIDERS): a department's
composite on the calls up assigned to it (objective 70%, the callers' ratings 30%)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from shaobao.calls.ranking import unit_figures


@dataclass(frozen=True)
class CallFigure:
    code: str
    label: Any
    compute: Any
    digits: int = 1
    higher_is_better: bool = True


def _compute(unit_ids: set[int], period) -> dict[int, float]:
    return {
        k: round(v["composite"], 1)
        for k, v in unit_figures(unit_ids, period).items()
        if v["composite"] is not None
    }


CALL_COMPOSITE = CallFigure(
    code="call_composite", label=_("Calls up: composite with the callers' ratings"), compute=_compute
)
