"""What the demand page offers: which buttons to show, and the choices of the triage forms.

Which buttons: the transition table (`intake.states`) says what the demand's state allows, and the
user's seat (`intake.people`) says whether they are the one to act. This only decides what to *show*;
the `do_*` action checks both again and is the rule. The routing proposal (matters with
probabilities, lead/supporting units, duplicate candidates) pre-fills the whistle form.
"""

from __future__ import annotations

import logging

from shaobao.intake import people, privacy
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
    """The routing proposal, or None when routing is not installed or fails.

    Kept in the cache for a minute per demand and placement: the classifier and the duplicate search
    are the most expensive part of the demand page, which dispatchers reload after every step."""
    from django.core.cache import cache

    try:
        from shaobao.routing.services import propose_for_demand
    except ImportError:
        return None
    key = f"proposal:{demand.pk}:{demand.street_id}:{demand.community_id}:{demand.grid_id}:{demand.matter_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        proposal = propose_for_demand(demand)
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
    """Units a street can summon: the district's departments and stationed offices, and its own units
    (not the sections of other streets), so that the lists stay short."""
    from django.db.models import Q

    units = Unit.objects.visible_to(user).filter(is_active=True).only("code", "name")
    district = _district(demand, user)
    if district is None:
        return units
    near = Q(division=district)
    if demand.street is not None:
        near |= Q(division__code__startswith=demand.street.prefix)
    return units.filter(near)


def blow_form_for(demand: Demand, matters, units, matter_code: str, lead: str, supporting, duplicates=()):
    """The whistle form: lead and supporting units from the proposal, else from the duty list in force
    for the matter (with the street's override, `duties.selectors.rule_for`)."""
    from django.urls import reverse

    from shaobao.duties.selectors import rule_for
    from shaobao.whistles.forms import BlowWhistleForm

    matter = next((m for m in matters if m.code == matter_code), None)
    if matter is not None and not lead:
        rule = rule_for(matter, demand.street)
        lead, supporting = rule.lead_unit.code, [u.code for u in rule.supporting_units]
    chosen = {lead, *supporting}
    units = sorted(units, key=lambda u: (u.code not in chosen, u.code))  # the proposed ones first
    form = BlowWhistleForm(
        initial={
            "type": "routine",
            "matter_code": matter_code,
            "lead_unit_code": lead,
            "supporting_unit_codes": [c for c in supporting if c],
            "demand_ids": [demand.pk],
        },
        matters=matters,
        units=units,
        demands=[demand, *duplicates],
    )
    # Choosing another matter reloads the units from the duty list (htmx).
    form.fields["matter_code"].widget.attrs.update(
        {
            "hx-get": reverse("whistles:blow_units") + f"?demand={demand.pk}",
            "hx-trigger": "change",
            "hx-target": "#blow-units",
            "hx-select": "#blow-units",
            "hx-swap": "outerHTML",
        }
    )
    if not matter_code:
        form.fields["matter_code"].choices = [("", "---------"), *form.fields["matter_code"].choices]
    return form


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
    blow_form = blow_form_for(
        demand, matters, whistle_units(user, demand), matter_code, lead, supporting, duplicates
    )
    return {
        "street_units": street_units,
        "other_streets": other_streets,
        "matters": matters,
        "duplicates": duplicates,
        "blow_form": blow_form,
    }
