"""What the apps above routing add to the proposal, installed from their AppConfig.ready().

Routing sits below the powers app and never imports it (the layers contract). The powers app installs
the finder of self-handling: for a matter whose enforcement power a street holds (an active delegated
power to that street covering the matter), the proposal is the street's own enforcement team, with the
reason. With nothing installed there is simply no self-handling proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SelfHandling:
    """The street's own unit to propose, and why (the delegated power it holds)."""

    unit: Any  # org.Unit
    power_code: str
    power_name: str
    since: Any  # datetime.date: the power's effective date


_finder: Callable[..., SelfHandling | None] | None = None


def set_self_handling_finder(finder: Callable[..., SelfHandling | None]) -> None:
    """`finder(matter_code=, street=)` → a `SelfHandling` when the street holds the power, else None."""
    global _finder
    _finder = finder


def self_handling(*, matter_code: str, street) -> SelfHandling | None:
    if _finder is None or street is None or not matter_code:
        return None
    return _finder(matter_code=matter_code, street=street)
