"""Proposals for a demand: matters with probabilities, street and community, units, duplicates.

`propose_for_demand(demand)` is what the triage form shows; `record_outcome(...)` is called when the
dispatcher decides (blows the whistle, hands the demand to a section), so that every proposal's fate is
kept: the admin's acceptance rate, and training data for the next model version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db import transaction

from shaobao.duties.models import Matter
from shaobao.duties.selectors import duty_list_in_force, rule_for
from shaobao.org.models import Division, Unit
from shaobao.org.places import PlaceMatch, guess_place
from shaobao.routing import extensions, registry
from shaobao.routing.classifier import _softmax
from shaobao.routing.cold_start import KeywordClassifier
from shaobao.routing.duplicates import DuplicateCandidate, find_duplicates
from shaobao.routing.models import ProposalRecord
from shaobao.routing.text import join_text, normalise

log = logging.getLogger(__name__)

TOP_MATTERS = 5
# Weight of the trained model against the duty-list cold start when both speak about the same matters:
# the cold start keeps matters the model never saw (new in this duty-list version) reachable.
MODEL_WEIGHT = 0.8
# Shown alone, the keyword scores are softened: with the prior's sharper temperature (8, measured inside
# the trained model) one keyword hit among ~100 matters reads as "100 %", which overstates what a keyword
# proves. At 5, a clear hit shows as roughly 75–95 %.
COLD_START_TEMPERATURE = 5.0


@dataclass
class MatterChoice:
    code: str
    name: str
    probability: float
    matter_id: int | None = None
    domain: str = ""


@dataclass
class UnitChoice:
    id: int
    code: str
    name: str


@dataclass
class PlaceChoice:
    id: int
    code: str
    name: str
    words: list[str] = field(default_factory=list)  # the words of the text that named it
    source: str = "text"  # "text": recognised; "demand": already placed (coordinates, channel, person)


@dataclass
class SelfHandlingReason:
    """Why the proposal is the street's own unit: the delegated power it holds (shown on the triage page)."""

    power_code: str
    power_name: str
    since: object  # datetime.date: the day the power took effect


@dataclass
class Proposal:
    matters: list[MatterChoice] = field(default_factory=list)
    street: PlaceChoice | None = None
    community: PlaceChoice | None = None
    place_matches: list[PlaceMatch] = field(default_factory=list)
    lead_unit: UnitChoice | None = None
    supporting_units: list[UnitChoice] = field(default_factory=list)
    duplicates: list[DuplicateCandidate] = field(default_factory=list)
    method: str = ""
    model_version: int | None = None
    model_id: int | None = None
    # Set when the street holds the enforcement power of the matter (`routing.extensions`): the lead unit
    # is then the street's own team, to handle itself rather than whistle to the department.
    self_handling: SelfHandlingReason | None = None

    @property
    def matter(self) -> MatterChoice | None:
        return self.matters[0] if self.matters else None

    @property
    def unit_codes(self) -> list[str]:
        return ([self.lead_unit.code] if self.lead_unit else []) + [u.code for u in self.supporting_units]

    def as_dict(self) -> dict:
        return asdict(self)


def district_for(demand) -> Division | None:
    """The district a demand belongs to: from its street, community or grid; else the only district with a
    duty list in force (a single-district deployment)."""
    for place in (demand.street, demand.community, getattr(demand.grid, "community", None)):
        if place is not None:
            district = place.ancestor("district")
            if district is not None:
                return district
    from shaobao.duties.models import DutyList

    districts = list(
        DutyList.objects.filter(status="published").values_list("district_id", flat=True).distinct()[:2]
    )
    return Division.objects.filter(pk=districts[0]).first() if len(districts) == 1 else None


def rank_matters(texts: list[str], duty_list) -> tuple[list[list[MatterChoice]], str, object]:
    """Ranked matters for several texts at once (one matrix product for the batch)."""
    cold = registry.cold_start_for(duty_list)
    if not cold.labels:
        return [[] for _ in texts], cold.method, None
    decision = cold.decision(texts)
    proba = _softmax(decision * COLD_START_TEMPERATURE)
    # A text with nothing to go on (empty, only emoji or punctuation, no word of the duty list) gets no
    # matter: every matter would tie and the first of the list, with its units, would be proposed.
    heard = np.any(decision != 0, axis=1)
    method = cold.method
    row, model = registry.active_model()
    if model is not None:
        mixed = _mix(model, cold, texts, proba)
        if mixed is not None:
            proba, how = mixed
            method = f"v{row.version} {row.method} ({how}) + {cold.method}"
            # The model reads any letter or digit (not the "。" joining an empty subject and body).
            heard = np.array([any(c.isalnum() for c in normalise(t)) for t in texts])
        else:
            row = None
    out = []
    top = np.argsort(-proba, axis=1)[:, :TOP_MATTERS]
    for i, columns in enumerate(top):
        if not heard[i]:
            out.append([])
            continue
        out.append(
            [
                MatterChoice(
                    cold.matters[j].code,
                    cold.matters[j].name,
                    round(float(proba[i, j]), 4),
                    cold.matters[j].id,
                    cold.matters[j].domain_name,
                )
                for j in columns
            ]
        )
    return out, method, row


def _mix(model, cold: KeywordClassifier, texts: list[str], cold_proba: np.ndarray):
    """The model's probabilities spread over the duty list's matters, mixed with the cold start.

    A model trained on matter codes speaks about matters directly. A model trained on domains (the
    board's first-level classes, e.g. from `labeled_train.csv`) says which domain; the cold start then
    shares the domain's probability among its matters. A model whose labels are neither is not used.
    """
    labels = {label: i for i, label in enumerate(model.labels)}
    codes = [m.code for m in cold.matters]
    by_code = [labels.get(c) for c in codes]
    if any(i is not None for i in by_code):
        p = model.predict_proba(texts)
        spread = np.column_stack([p[:, i] if i is not None else np.zeros(len(texts)) for i in by_code])
        return MODEL_WEIGHT * spread + (1 - MODEL_WEIGHT) * cold_proba, "matters"
    domain_of = [labels.get(m.domain_name, labels.get(m.domain_code)) for m in cold.matters]
    if not any(i is not None for i in domain_of):
        return None
    p = model.predict_proba(texts)
    spread = np.zeros_like(cold_proba)
    for d in {i for i in domain_of if i is not None}:
        columns = [j for j, i in enumerate(domain_of) if i == d]
        within = cold_proba[:, columns]
        within = within / np.maximum(within.sum(axis=1, keepdims=True), 1e-12)
        spread[:, columns] = p[:, [d]] * within
    return MODEL_WEIGHT * spread + (1 - MODEL_WEIGHT) * cold_proba, "domains"


def propose(
    *,
    subject: str = "",
    body: str = "",
    address: str = "",
    district: Division | None,
    street: Division | None = None,
    community: Division | None = None,
    grid=None,
    exclude_demand_id: int | None = None,
    received_at=None,
    find_duplicates_too: bool = True,
) -> Proposal:
    """The whole proposal for a text; a street already known (coordinates, channel, a person) wins over
    the street recognised in the text, which then only proposes a community inside it."""
    proposal = Proposal()
    if district is None:
        return proposal
    text = join_text(subject, body)
    duty_list = duty_list_in_force(district)
    if duty_list is not None:
        ranked, proposal.method, row = rank_matters([text], duty_list)
        proposal.matters = ranked[0]
        if row is not None:
            proposal.model_version, proposal.model_id = row.version, row.pk

    place = guess_place(district, address, text, street_id=street.pk if street else None)
    proposal.place_matches = place.matches
    if street is not None:
        proposal.street = PlaceChoice(street.pk, street.code, street.name, place.street_words, "demand")
    elif place.street_id:
        proposal.street = PlaceChoice(
            place.street_id, place.street_code, place.street_name, place.street_words
        )
    if community is not None:
        proposal.community = PlaceChoice(community.pk, community.code, community.name, [], "demand")
    elif place.community_id:
        proposal.community = PlaceChoice(
            place.community_id, place.community_code, place.community_name, place.community_words
        )

    street_obj = street or (Division.objects.filter(pk=place.street_id).first() if place.street_id else None)
    if proposal.matters and proposal.matters[0].matter_id:
        matter = Matter.objects.select_related("lead_unit").get(pk=proposal.matters[0].matter_id)
        rule = rule_for(matter, street_obj)
        proposal.lead_unit = UnitChoice(rule.lead_unit.pk, rule.lead_unit.code, rule.lead_unit.name)
        proposal.supporting_units = [UnitChoice(u.pk, u.code, u.name) for u in rule.supporting_units]
        own = extensions.self_handling(matter_code=matter.code, street=street_obj)
        if own is not None:
            proposal.lead_unit = UnitChoice(own.unit.pk, own.unit.code, own.unit.name)
            proposal.supporting_units = []
            proposal.self_handling = SelfHandlingReason(own.power_code, own.power_name, own.since)

    if find_duplicates_too and street_obj is not None:
        proposal.duplicates = find_duplicates(
            subject=subject,
            body=body,
            street=street_obj,
            grid=grid,
            community_id=proposal.community.id if proposal.community else None,
            matter_ids=[m.matter_id for m in proposal.matters[:3] if m.matter_id],
            exclude_id=exclude_demand_id,
            received_at=received_at,
        )
    return proposal


def propose_for_demand(demand) -> Proposal:
    """The proposal shown on the triage form for a demand (see docs/routing.md)."""
    return propose(
        subject=demand.subject,
        body=demand.body,
        address=demand.address,
        district=district_for(demand),
        street=demand.street,
        community=demand.community,
        grid=demand.grid,
        exclude_demand_id=demand.pk,
        received_at=demand.received_at,
    )


def _unit_codes(units: Iterable) -> list[str]:
    return [u if isinstance(u, str) else u.code for u in units if u]


def record_outcome(
    *, demand, proposal: Proposal | None, chosen_matter, chosen_units: Iterable = (), actor=None
) -> ProposalRecord:
    """Keep what was proposed and what the dispatcher chose (lead unit first in `chosen_units`).

    `chosen_matter` is a Matter, a matter code or None; `chosen_units` Units or unit codes. Call it inside
    the dispatcher's transaction (blowing the whistle, self-handling); it writes one row and nothing else.
    """
    if proposal is None:  # what the dispatcher saw: the same text and place give the same proposal
        try:
            proposal = propose(
                subject=demand.subject,
                body=demand.body,
                address=demand.address,
                district=district_for(demand),
                street=demand.street,
                community=demand.community,
                find_duplicates_too=False,
            )
        except Exception:  # noqa: BLE001 - a routing failure must not undo the dispatcher's decision
            log.exception("routing proposal failed while recording the outcome of demand %s", demand.pk)
            proposal = Proposal()
    if isinstance(chosen_matter, str):
        chosen_matter = (
            Matter.objects.filter(code=chosen_matter, pk__in=[m.matter_id for m in proposal.matters]).first()
            or Matter.objects.filter(code=chosen_matter, duty_list__status="published")
            .order_by("-duty_list__version")
            .first()
        )
    chosen = _unit_codes(chosen_units)
    proposed = proposal.unit_codes
    top = proposal.matter
    rank = None
    if chosen_matter is not None:
        codes = [m.code for m in proposal.matters]
        rank = codes.index(chosen_matter.code) + 1 if chosen_matter.code in codes else None
    with transaction.atomic():
        return ProposalRecord.objects.create(
            demand=demand,
            actor=actor if getattr(actor, "pk", None) else None,
            model_id=proposal.model_id,
            method=proposal.method[:200],
            proposed_matter_id=top.matter_id if top else None,
            proposed_probability=top.probability if top else None,
            proposed_rank_of_chosen=rank,
            proposed_units=proposed,
            chosen_matter=chosen_matter,
            chosen_units=chosen,
            matter_accepted=bool(top and chosen_matter and top.code == chosen_matter.code),
            units_accepted=bool(chosen) and chosen[:1] == proposed[:1] and set(chosen) == set(proposed),
            text=join_text(demand.subject, demand.body)[:4000],
        )


def unit_choices(codes: Iterable[str]) -> list[UnitChoice]:
    units = {u.code: u for u in Unit.objects.filter(code__in=list(codes))}
    return [UnitChoice(units[c].pk, c, units[c].name) for c in codes if c in units]
