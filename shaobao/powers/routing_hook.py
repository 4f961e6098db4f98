"""The rule routing asks about (installed into `shaobao.routing.extensions` by the app config).

A street that holds the enforcement power of a matter — an acting delegated power (in force, effective)
to that street covering the matter — handles it with its own comprehensive enforcement team rather than
whistling to the department. A street without an active enforcement team gets no such proposal.
"""

from __future__ import annotations

from shaobao.org.models import Unit, UnitKind
from shaobao.powers.models import DelegatedPower
from shaobao.routing.extensions import SelfHandling


def enforcement_team(street) -> Unit | None:
    """The street's own comprehensive enforcement team (综合执法队)."""
    return (
        Unit.objects.filter(division=street, kind=UnitKind.ENFORCEMENT_TEAM, is_active=True)
        .order_by("code")
        .first()
    )


def power_for(matter_code: str, street) -> DelegatedPower | None:
    """The acting power delegated to `street` that covers the matter (the earliest effective first)."""
    return (
        DelegatedPower.objects.acting()
        .filter(streets=street, matters__matter_code=matter_code)
        .order_by("effective_date", "code")
        .first()
    )


def self_handling_for(*, matter_code: str, street) -> SelfHandling | None:
    power = power_for(matter_code, street)
    if power is None:
        return None
    team = enforcement_team(street)
    if team is None:
        return None
    return SelfHandling(team, power.code, power.name, power.effective_date)
