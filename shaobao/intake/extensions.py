"""What the apps above intake add to its pages and actions, installed from their AppConfig.ready().

Intake sits below routing and whistles and never imports them (the layers contract in pyproject.toml
checks it). Routing installs the proposal shown on the demand page and the recorder of triage outcomes
(its training data); whistles installs the whistle form the demand page offers. These are explicit
calls made by intake's code, not signals: with nothing installed, there is simply no proposal, no
outcome recorded and no whistle form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_proposer: Callable[[Any], Any] | None = None
_outcome_recorders: list[Callable[..., Any]] = []
_whistle_form: Callable[..., Any] | None = None


def set_proposer(proposer: Callable[[Any], Any]) -> None:
    """`proposer(demand)` → the routing proposal (matters, lead and supporting units, duplicates)."""
    global _proposer
    _proposer = proposer


def has_proposer() -> bool:
    return _proposer is not None


def propose(demand):
    return None if _proposer is None else _proposer(demand)


def add_outcome_recorder(recorder: Callable[..., Any]) -> None:
    """`recorder(demand=, proposal=, chosen_matter=, chosen_units=, actor=)`, called in the action's
    transaction when a demand is triaged without a whistle (self-handling)."""
    if recorder not in _outcome_recorders:
        _outcome_recorders.append(recorder)


def record_outcome(**outcome) -> None:
    for recorder in _outcome_recorders:
        recorder(**outcome)


def set_whistle_form(builder: Callable[..., Any]) -> None:
    """`builder(demand, matters, units, matter_code, lead, supporting, duplicates)` → the whistle form."""
    global _whistle_form
    _whistle_form = builder


def whistle_form(*args, **kwargs):
    return None if _whistle_form is None else _whistle_form(*args, **kwargs)


# Forces sent down (above intake) installs who else may handle a demand the street handles itself: a
# cadre deployed to the street whom its dispatcher assigned to that demand (三在一听).
_handler_checks: list[Callable[[Any, Any], bool]] = []


def add_handler_check(check: Callable[[Any, Any], bool]) -> None:
    """`check(user, demand)` → True when `user` may read the demand and report it handled."""
    if check not in _handler_checks:
        _handler_checks.append(check)


def is_extra_handler(user, demand) -> bool:
    return any(check(user, demand) for check in _handler_checks)


# --- reporters outside the staff: who may send a demand in a channel of their own --------------------
_channel_reporters: dict[str, Callable[[Any], bool]] = {}


def add_channel_reporter(channel: str, may_report: Callable[[Any], bool]) -> None:
    """`may_report(user)` → True when a signed-in user without a staff role may send demands in `channel`
    (the check-in app: a registered courier, rider or driver in the new-employment channel)."""
    _channel_reporters[channel] = may_report


def may_report_in(channel: str, user) -> bool:
    check = _channel_reporters.get(channel)
    return bool(check is not None and check(user))
