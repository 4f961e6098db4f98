"""The demand's transition table, as data: from state -> {action: to state}.

Every change of `Demand.state` goes through a `do_*` action that looks the step up here first
(`check_demand_step`), so what is allowed is readable in one place and testable pair by pair.

The flow (DOMAIN.md, "Life of a demand"):
  received -> self_handling (the street handles it) | whistled | merged | received (transferred to
  another street, the state stays "awaiting triage" there)
  self_handling -> handled -> closed (verified) | self_handling (failed check: rework, counted)
  whistled -> closed (when its whistle is verified)
  closed -> called_back (solved and satisfied / basically satisfied) | reopened (unsolved or unsatisfied:
  rework, counted, back to triage)
  reopened -> self_handling | whistled | merged
merged and called_back are final.
"""

from __future__ import annotations

from shaobao.core.errors import Conflict
from shaobao.intake.models import DemandState as S

DEMAND_TRANSITIONS: dict[str, dict[str, str]] = {
    S.RECEIVED: {
        "self_handle": S.SELF_HANDLING,
        "blow_whistle": S.WHISTLED,
        "merge": S.MERGED,
        "transfer": S.RECEIVED,
    },
    S.SELF_HANDLING: {"finish_self_handling": S.HANDLED},
    S.HANDLED: {"verify_pass": S.CLOSED, "verify_fail": S.SELF_HANDLING},
    S.WHISTLED: {"whistle_closed": S.CLOSED},
    S.CLOSED: {"callback_satisfied": S.CALLED_BACK, "callback_unsatisfied": S.REOPENED},
    S.REOPENED: {"self_handle": S.SELF_HANDLING, "blow_whistle": S.WHISTLED, "merge": S.MERGED},
    S.MERGED: {},
    S.CALLED_BACK: {},
}

# States in which the street still has to decide what to do with the demand.
TRIAGE_STATES = frozenset({S.RECEIVED, S.REOPENED})
# The problem is still being worked on (closed demands only wait for the callback; merged ones live on in
# another). Ordered: routing's duplicate lookup spells them into SQL.
PROBLEM_OPEN_STATES = (S.RECEIVED, S.SELF_HANDLING, S.HANDLED, S.WHISTLED, S.REOPENED)
FINAL_STATES = frozenset(s for s, steps in DEMAND_TRANSITIONS.items() if not steps)


def allowed_actions(state: str) -> list[str]:
    return list(DEMAND_TRANSITIONS.get(state, {}))


def next_state(state: str, action: str) -> str | None:
    return DEMAND_TRANSITIONS.get(state, {}).get(action)


def check_demand_step(state: str, action: str) -> str:
    """The state after `action`, or Conflict (409) when the table does not allow it."""
    target = next_state(state, action)
    if target is None:
        raise Conflict(
            f"诉求当前状态为「{S(state).label}」，不能执行该操作 / "
            f"Demand in state '{state}' does not allow '{action}'",
            code="illegal_transition",
        )
    return target
