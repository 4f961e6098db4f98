"""rule_for: the matter's units and limits for a street, that street's override applied."""

from __future__ import annotations

import pytest

from shaobao.duties.actions import do_create_draft
from shaobao.duties.models import MatterOverride
from shaobao.duties.selectors import rule_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_matter(duty_world):
    draft = do_create_draft(actor=None, district=duty_world.district, name="v2")
    return draft.matters.get()


def test_without_override_the_list_rule_applies(duty_world, draft_matter):
    rule = rule_for(draft_matter, duty_world.street_a)
    assert rule.lead_unit == duty_world.lead_unit
    assert rule.supporting_units == (duty_world.supporting_unit,)
    assert (rule.time_limit, rule.time_limit_unit, rule.street_may_handle) == (7, "working_days", False)
    assert rule_for(draft_matter, None) == rule


def test_override_adds_supporting_units_and_changes_only_its_street(duty_world, draft_matter):
    w = duty_world
    o = MatterOverride.objects.create(matter=draft_matter, street=w.street_a, street_may_handle=True)
    o.supporting_units.add(w.section_a, w.lead_unit)  # the lead is never also a supporting unit
    rule_a = rule_for(draft_matter, w.street_a)
    assert rule_a.supporting_units == (w.supporting_unit, w.section_a)
    assert rule_a.street_may_handle is True
    assert rule_a.time_limit == 7  # no time limit in the override: the list's
    assert rule_for(draft_matter, w.street_b).supporting_units == (w.supporting_unit,)


def test_override_replaces_lead_supporting_units_and_time_limit(duty_world, draft_matter):
    w = duty_world
    o = MatterOverride.objects.create(
        matter=draft_matter,
        street=w.street_b,
        lead_unit=w.section_b,
        replace_supporting_units=True,
        time_limit=24,
        time_limit_unit="hours",
        street_may_handle=False,
    )
    o.supporting_units.add(w.lead_unit)
    rule = rule_for(draft_matter, w.street_b)
    assert rule.lead_unit == w.section_b
    assert rule.supporting_units == (w.lead_unit,)
    assert (rule.time_limit, rule.time_limit_unit, rule.street_may_handle) == (24, "hours", False)


def test_override_time_limit_without_unit_keeps_the_list_unit(duty_world, draft_matter):
    MatterOverride.objects.create(matter=draft_matter, street=duty_world.street_a, time_limit=3)
    rule = rule_for(draft_matter, duty_world.street_a)
    assert (rule.time_limit, rule.time_limit_unit) == (3, "working_days")


def test_an_override_must_name_a_street_of_the_lists_district(duty_world, draft_matter):
    from django.core.exceptions import ValidationError

    w = duty_world
    with pytest.raises(ValidationError):
        MatterOverride(matter=draft_matter, street=w.community_a1).full_clean()
    with pytest.raises(ValidationError):
        MatterOverride(matter=draft_matter, street=w.other_district).full_clean()
    with pytest.raises(ValidationError):
        MatterOverride(matter=draft_matter, street=w.street_a, time_limit_unit="hours").full_clean()
    MatterOverride(matter=draft_matter, street=w.street_a, time_limit=1).full_clean()
