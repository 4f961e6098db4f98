"""Transitions of a call, as data: from state -> {action: to state}.

raised -> assigned (the centre assigns its departments) | called_up (the county calls the city);
assigned -> handling (the first department reports in) | called_up; handling -> fed_back (the lead
department finishes, every supporting one finished or withdrawn); called_up -> fed_back (the level above
closed its call); fed_back -> closed (the caller verifies) | handling (rework of the lead department) |
raised (rework of a call the level above answered: back to the centre's queue).

A department's assignment follows the whistles' summons table (`whistles.states.SUMMONS_TRANSITIONS`).
"""

from __future__ import annotations

from shaobao.calls.models import CallState as CS
from shaobao.core.errors import Conflict

CALL_TRANSITIONS: dict[str, dict[str, str]] = {
    CS.RAISED: {"assign": CS.ASSIGNED, "call_up": CS.CALLED_UP},
    CS.ASSIGNED: {"report_in": CS.HANDLING, "call_up": CS.CALLED_UP},
    CS.HANDLING: {"feed_back": CS.FED_BACK},
    CS.CALLED_UP: {"feed_back": CS.FED_BACK},
    CS.FED_BACK: {"verify_pass": CS.CLOSED, "verify_fail": CS.HANDLING, "verify_fail_up": CS.RAISED},
    CS.CLOSED: {},
}


def check_call_step(state: str, action: str) -> str:
    target = CALL_TRANSITIONS.get(state, {}).get(action)
    if target is None:
        raise Conflict(
            f"呼叫当前状态不允许该操作 / Call in state '{state}' does not allow '{action}'",
            code="illegal_transition",
        )
    return target
