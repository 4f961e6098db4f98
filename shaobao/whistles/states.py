"""Transition tables of whistles and summonses, as data: from state -> {action: to state}.

Whistle: blown -> handling (the first unit reports in) -> fed_back (the lead unit finishes; every
supporting summons must be finished or withdrawn first, so the street verifies a complete result)
-> closed (verification passed) | handling (verification failed: rework, counted; the lead summons is
reopened with a fresh finish deadline).

Summons: summoned -> reported_in | disputed; disputed -> withdrawn (dispute upheld; another unit may be
summoned in its place and inherits the lead role) | reported_in (dispute rejected: the unit must act,
with a new finish deadline); reported_in -> finished; finished -> reported_in (rework after a failed
verification).
"""

from __future__ import annotations

from shaobao.core.errors import Conflict
from shaobao.whistles.models import SummonsState as SS
from shaobao.whistles.models import WhistleState as WS

WHISTLE_TRANSITIONS: dict[str, dict[str, str]] = {
    WS.BLOWN: {"report_in": WS.HANDLING},
    WS.HANDLING: {"feed_back": WS.FED_BACK},
    WS.FED_BACK: {"verify_pass": WS.CLOSED, "verify_fail": WS.HANDLING},
    WS.CLOSED: {},
}

SUMMONS_TRANSITIONS: dict[str, dict[str, str]] = {
    SS.SUMMONED: {"report_in": SS.REPORTED_IN, "dispute": SS.DISPUTED},
    SS.DISPUTED: {"uphold": SS.WITHDRAWN, "reject": SS.REPORTED_IN},
    SS.REPORTED_IN: {"finish": SS.FINISHED},
    SS.FINISHED: {"rework": SS.REPORTED_IN},
    SS.WITHDRAWN: {},
}

# Summons states in which the unit still owes something (the sweep and the inboxes look at these).
OPEN_SUMMONS_STATES = frozenset({SS.SUMMONED, SS.DISPUTED, SS.REPORTED_IN})
# A summons in one of these states no longer blocks the lead unit's feedback.
DONE_SUMMONS_STATES = frozenset({SS.FINISHED, SS.WITHDRAWN})
# Summons states in which the unit may act on the matter (progress notes, extension requests).
ACTIVE_SUMMONS_STATES = frozenset({SS.SUMMONED, SS.REPORTED_IN})


def _check(table: dict[str, dict[str, str]], label: str, state: str, action: str) -> str:
    target = table.get(state, {}).get(action)
    if target is None:
        raise Conflict(
            f"{label}当前状态不允许该操作 / {label_en(label)} in state '{state}' does not allow '{action}'",
            code="illegal_transition",
        )
    return target


def label_en(label: str) -> str:
    return {"吹哨": "Whistle", "报到单": "Summons"}.get(label, label)


def check_whistle_step(state: str, action: str) -> str:
    return _check(WHISTLE_TRANSITIONS, "吹哨", state, action)


def check_summons_step(state: str, action: str) -> str:
    return _check(SUMMONS_TRANSITIONS, "报到单", state, action)
