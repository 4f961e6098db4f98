"""What the whistle page and the inbox offer: which buttons each person sees, and the inbox filters.

Which buttons: the transition tables (`whistles.states`) say what a summons' or whistle's state
allows; the user's seat (`intake.people`) says whether they act for the unit, the street or the
district. This only decides what to *show*; the `do_*` actions check both again and are the rule.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from shaobao.intake import people
from shaobao.intake.selectors import OPEN_STATES
from shaobao.whistles import supervision
from shaobao.whistles.models import ExtensionState, Summons, SummonsRole, SummonsState, Whistle
from shaobao.whistles.states import (
    ACTIVE_SUMMONS_STATES,
    DONE_SUMMONS_STATES,
    SUMMONS_TRANSITIONS,
    WHISTLE_TRANSITIONS,
)


def pending_partners(summons: Summons, summonses) -> list[Summons]:
    """For the lead unit: the other summonses not yet finished or withdrawn (`DONE_SUMMONS_STATES`);
    the lead feeds back one complete result, so it waits for them."""
    if summons.role != SummonsRole.LEAD:
        return []
    return [s for s in summonses if s.pk != summons.pk and s.state not in DONE_SUMMONS_STATES]


def summons_actions(user, summons: Summons, whistle: Whistle, summonses=()) -> set[str]:
    """The buttons for one summons; "finish_waiting" stands for a finish the lead cannot do yet."""
    steps = set(SUMMONS_TRANSITIONS.get(summons.state, {}))
    out: set[str] = set()
    if people.acts_for_unit(user, summons.unit_id) or user.is_superuser:
        out |= steps & {"report_in", "dispute", "finish"}
        if "finish" in out and pending_partners(summons, summonses or whistle.summonses.all()):
            out = (out - {"finish"}) | {"finish_waiting"}
        if summons.state == SummonsState.REPORTED_IN:
            out.add("progress")
        pending = any(e.state == ExtensionState.PENDING for e in summons.extension_requests.all())
        if summons.state in ACTIVE_SUMMONS_STATES and not pending:
            out.add("request_extension")
    if people.decides_in_district(user, whistle.street):
        if steps & {"uphold", "reject"}:
            out.add("arbitrate")
        if any(e.state == ExtensionState.PENDING for e in summons.extension_requests.all()):
            out.add("decide_extension")
    return out


def whistle_actions(user, whistle: Whistle) -> set[str]:
    steps = set(WHISTLE_TRANSITIONS.get(whistle.state, {}))
    if steps & {"verify_pass", "verify_fail"} and (
        user.is_superuser or people.acts_for_street(user, whistle.street)
    ):
        return {"verify"}
    if whistle.state == "closed" and (user.is_superuser or people.acts_for_street(user, whistle.street)):
        return {"rate"}  # 下评上: the street rates the units it summoned (evaluation app)
    return set()


# --- inbox filters ---------------------------------------------------------------------------------
# The inbox sections hold querysets of different models; each filter names its field per model.
LOOKUPS: dict[str, dict[str, str]] = {
    "summons": {
        "state": "state",
        "type": "whistle__type",
        "street": "whistle__street__code",
        "unit": "unit__code",
        "matter": "whistle__matter__code",
    },
    "whistle": {
        "state": "state",
        "type": "type",
        "street": "street__code",
        "unit": "summonses__unit__code",
        "matter": "matter__code",
    },
    "demand": {
        "state": "state",
        "type": "whistles__type",
        "street": "street__code",
        "unit": "assigned_unit__code",
        "matter": "matter__code",
    },
    "extensionrequest": {
        "state": "state",
        "type": "summons__whistle__type",
        "street": "summons__whistle__street__code",
        "unit": "summons__unit__code",
        "matter": "summons__whistle__matter__code",
    },
}
SEARCH: dict[str, tuple[str, ...]] = {
    "summons": ("whistle__matter__name", "whistle__note", "unit__name", "whistle__demands__subject"),
    "whistle": ("matter__name", "note", "demands__subject", "demands__tracking_code"),
    "demand": ("tracking_code", "subject", "body", "address"),
    "extensionrequest": ("reason", "summons__unit__name", "summons__whistle__matter__name"),
}


def overdue_q(model: str, now) -> Q:
    """Items past a deadline they still owe (the summons rule is `whistles.supervision.overdue_q`)."""
    if model == "summons":
        return supervision.overdue_q(now)
    if model == "whistle":
        return Q(pk__in=Summons.objects.filter(supervision.overdue_q(now)).values("whistle_id"))
    if model == "demand":
        return Q(state__in=OPEN_STATES, due_at__lte=now)
    if model == "extensionrequest":
        return Q(summons__in=Summons.objects.filter(supervision.overdue_q(now)))
    return Q()


def filter_items(qs, filters: dict):
    """Apply the inbox filters to a section's queryset, whatever its model."""
    model = qs.model._meta.model_name
    applied = False
    for key, lookup in LOOKUPS.get(model, {}).items():
        if filters.get(key):
            qs = qs.filter(**{lookup: filters[key]})
            applied = True
    text = (filters.get("q") or "").strip()
    if text:
        q = Q()
        for field in SEARCH.get(model, ()):
            q |= Q(**{f"{field}__icontains": text})
        qs = qs.filter(q)
        applied = True
    if filters.get("overdue"):
        qs = qs.filter(overdue_q(model, timezone.now()))
        applied = True
    # Filters across to-many relations (a whistle's summonses, demands) can repeat rows.
    return qs.distinct() if applied else qs
