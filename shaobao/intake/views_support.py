"""What the demand page offers: which buttons to show, and the choices of the triage forms.

Which buttons: the transition table (`intake.states`) says what the demand's state allows, and the
user's seat (`intake.people`) says whether they are the one to act. This only decides what to *show*;
the `do_*` action checks both again and is the rule. The routing proposal (matters with
probabilities, lead/supporting units, duplicate candidates) pre-fills the whistle form.
"""

from __future__ import annotations

import logging

from shaobao.intake import extensions, people, privacy
from shaobao.intake.models import Demand
from shaobao.intake.selectors import possible_duplicates
from shaobao.intake.states import FINAL_STATES, allowed_actions
from shaobao.org.models import Division, Unit

log = logging.getLogger(__name__)
TRIAGE = {"self_handle", "blow_whistle", "transfer", "merge"}


def map_context() -> dict:
    """Where the point-picking map starts, and its tiles (settings.MAP_TILE_URL; empty: no tiles)."""
    from django.conf import settings

    return {
        "map_tiles": getattr(settings, "MAP_TILE_URL", ""),
        "map_center": list(getattr(settings, "MAP_CENTER", (40.14, 117.12))),
    }


def _street_desk(user, demand: Demand) -> bool:
    """Triage is the street's own decision (its dispatchers and leaders), not the district's."""
    return user.is_superuser or people.acts_for_street(user, demand.street)


def demand_actions(user, demand: Demand) -> set[str]:
    steps = set(allowed_actions(demand.state))
    desk = _street_desk(user, demand)
    out: set[str] = set()
    if desk:
        out |= steps & TRIAGE
        if steps & {"verify_pass", "verify_fail"}:
            out.add("verify_self_handling")
    if "finish_self_handling" in steps and (people.acts_for_unit(user, demand.assigned_unit_id) or desk):
        out.add("finish_self_handling")
    callers = people.acts_for_street(user, demand.street, people.PRIVACY_ROLES) or people.decides_in_district(
        user, demand.street
    )
    if steps & {"callback_satisfied", "callback_unsatisfied"} and callers:
        out.add("callback")
    if demand.state not in FINAL_STATES and (desk or people.decides_in_district(user, demand.street)):
        out.add("correct_placement")
    if privacy.may_reveal(user, demand):
        out.add("reveal")
    return out


PROPOSAL_SECONDS = 60


def proposal_for(demand: Demand):
    """The routing proposal, or None when routing is not installed (`intake.extensions`) or fails.

    Kept in the cache for a minute per demand and placement: the classifier and the duplicate search
    are the most expensive part of the demand page, which dispatchers reload after every step."""
    from django.core.cache import cache

    if not extensions.has_proposer():
        return None
    key = f"proposal:{demand.pk}:{demand.street_id}:{demand.community_id}:{demand.grid_id}:{demand.matter_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        proposal = extensions.propose(demand)
    except Exception:  # noqa: BLE001 - a classifier failure must not hide the demand page
        log.exception("routing proposal failed for demand %s", demand.pk)
        return None
    try:
        cache.set(key, proposal, PROPOSAL_SECONDS)
    except Exception:  # noqa: BLE001 - e.g. a cache backend that cannot pickle it: just not cached
        log.warning("routing proposal for demand %s not cached", demand.pk, exc_info=True)
    return proposal


def _code(obj) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    return getattr(obj, "code", "") or ""


def _proposal_matter_code(proposal, demand: Demand) -> str:
    for item in getattr(proposal, "matters", None) or ():
        code = _code(getattr(item, "matter", None)) or getattr(item, "code", "")
        if code:
            return code
    return demand.matter.code if demand.matter else ""


def _district(demand: Demand, user) -> Division | None:
    if demand.street is not None:
        return demand.street.parent
    from shaobao.org.scoping import district_of

    return district_of(user)


def duplicate_candidates(demand: Demand, proposal, user) -> list[Demand]:
    """Duplicates named by the proposal (with their similarity as `.score`), then the recent demands of
    the same matter, grid or address (`intake.selectors.possible_duplicates`); only those the user sees."""
    scores: dict[int, float | None] = {}
    for item in getattr(proposal, "duplicates", None) or ():
        pk = getattr(item, "demand_id", None) or getattr(getattr(item, "demand", None), "pk", None)
        if pk and pk != demand.pk:
            scores.setdefault(pk, getattr(item, "score", None))
    for other in possible_duplicates(demand):
        scores.setdefault(other.pk, None)
    if not scores:
        return []
    found = {d.pk: d for d in Demand.objects.visible_to(user).filter(pk__in=list(scores))}
    out = []
    for pk, score in scores.items():
        if pk in found:
            found[pk].score = score
            out.append(found[pk])
    return out


def whistle_units(user, demand: Demand):
    """Units a street can summon (`Unit.objects.serving`: the district's units and the street's own,
    never another street's sections), so that the lists stay short and match what the action allows."""
    units = Unit.objects.visible_to(user).filter(is_active=True).only("code", "name")
    if demand.street is None:
        district = _district(demand, user)
        return units.filter(division=district) if district is not None else units
    return units.serving(demand.street)


def triage_choices(user, demand: Demand, proposal) -> dict:
    """Units, streets and matters for the triage forms, and the whistle form pre-filled."""
    from shaobao.duties.selectors import duty_list_in_force

    units = Unit.objects.visible_to(user).filter(is_active=True).only("code", "name")
    street_units = (
        list(units.filter(division__code__startswith=demand.street.prefix)) if demand.street else []
    )
    other_streets = Division.objects.visible_to(user).filter(level="street").order_by("code")
    if demand.street_id:
        other_streets = other_streets.exclude(pk=demand.street_id)
    district = _district(demand, user)
    duty_list = duty_list_in_force(district) if district else None
    matters = list(duty_list.matters.order_by("code")) if duty_list else []

    matter_code = _proposal_matter_code(proposal, demand)
    lead = _code(getattr(proposal, "lead_unit", None))
    supporting = [_code(u) for u in (getattr(proposal, "supporting_units", None) or ())]
    duplicates = duplicate_candidates(demand, proposal, user)
    blow_form = extensions.whistle_form(
        demand, matters, whistle_units(user, demand), matter_code, lead, supporting, duplicates
    )
    return {
        "street_units": street_units,
        "other_streets": other_streets,
        "matters": matters,
        "duplicates": duplicates,
        "blow_form": blow_form,
    }
