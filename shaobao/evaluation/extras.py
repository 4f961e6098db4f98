"""Figures about units that come from the apps below evaluation (forces sent down, the street's powers, key
tasks…), shown beside the indicators on the evaluation page and in the xlsx/pdf exports.

Evaluation sits above those apps, so it lists them here: a new figure is one line in `PROVIDERS`, the
import path of a `UnitFigure` defined in the app that owns the rule. The figure's `compute(unit_ids, period)`
answers {unit_id: number} for the units asked (missing units have no figure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class UnitFigure:
    code: str  # stable: the export's column and the API's key
    label: str  # lazily translated
    compute: Callable[[set[int], object], dict[int, float | int]]
    digits: int = 0  # decimals shown
    higher_is_better: bool = True


PROVIDERS: list[str] = [
    # "shaobao.<app>.evaluation.<NAME>",
    "shaobao.forces.evaluation.HOST_ASSESSMENT",
    "shaobao.powers.figures.URGE_NOTES",
    "shaobao.keytasks.evaluation.OVERDUE_KEY_TASKS",
    "shaobao.calls.figures.CALL_COMPOSITE",
]


@cache
def figures() -> tuple[UnitFigure, ...]:
    return tuple(import_string(path) for path in PROVIDERS)


def unit_extras(units: Iterable[dict], period) -> tuple[tuple[UnitFigure, ...], dict[int, list]]:
    """The registered figures and, per unit id of `units` (rows with an "id"), its values in figure order."""
    figs = figures()
    ids = {u["id"] for u in units}
    if not figs or not ids:
        return figs, {}
    columns = [f.compute(ids, period) for f in figs]
    return figs, {uid: [col.get(uid) for col in columns] for uid in ids}
