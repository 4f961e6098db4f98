"""Versions of a duty list: drafts copy the list in force, publishing retires it, published lists never change."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from shaobao.core.audit import history
from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.duties.actions import do_create_draft, do_discard_draft, do_publish
from shaobao.duties.models import DutyList, FrozenDutyList, Matter, MatterOverride
from shaobao.duties.selectors import matter_in_force, rule_for
from tests.factories import DutyListFactory, MatterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def override(duty_world):
    """Street B's own rule for CG-001, made while its list was still a draft."""
    w = duty_world
    DutyList.objects.filter(pk=w.duty_list.pk).update(
        status="draft"
    )  # the fixture's list, reopened for setup
    w.duty_list.refresh_from_db()
    o = MatterOverride.objects.create(matter=w.matter, street=w.street_b, lead_unit=w.section_b, time_limit=2)
    o.supporting_units.add(w.section_a)
    DutyList.objects.filter(pk=w.duty_list.pk).update(status="published")
    w.duty_list.refresh_from_db()
    w.matter.refresh_from_db()
    return o


def test_new_draft_copies_the_list_in_force_with_units_and_overrides(duty_world, override):
    w = duty_world
    draft = do_create_draft(actor=w.users["admin"], district=w.district, name="2027版")
    assert (draft.version, draft.status, draft.based_on) == (2, "draft", w.duty_list)
    copy = draft.matters.get()
    assert copy.pk != w.matter.pk
    assert (copy.code, copy.keywords, copy.lead_unit) == ("CG-001", ["违建", "私搭乱建"], w.lead_unit)
    assert list(copy.supporting_units.all()) == [w.supporting_unit]
    copied = copy.overrides.get()
    assert (copied.street, copied.lead_unit, copied.time_limit) == (w.street_b, w.section_b, 2)
    assert list(copied.supporting_units.all()) == [w.section_a]
    assert [e.action for e in history(draft)] == ["duty_list.draft_created"]


def test_empty_draft_when_asked(world):
    draft = do_create_draft(actor=world.users["admin"], district=world.district, name="空", copy=False)
    assert draft.matters.count() == 0 and draft.based_on is None


def test_publishing_puts_the_draft_in_force_and_retires_the_old_version(duty_world, override):
    w = duty_world
    draft = do_create_draft(actor=w.users["admin"], district=w.district, name="v2")
    draft.matters.filter(code="CG-001").update(time_limit=3)
    published = do_publish(actor=w.users["coordinator"], duty_list_id=draft.pk)
    w.duty_list.refresh_from_db()
    assert published.status == "published" and published.published_at is not None
    assert w.duty_list.status == "retired" and w.duty_list.retired_at is not None
    assert DutyList.objects.in_force(w.district) == published
    # New decisions use the new version; old records keep the row they were decided under.
    assert matter_in_force("CG-001", w.district).time_limit == 3
    assert Matter.objects.get(pk=w.matter.pk).time_limit == 7
    assert (
        rule_for(matter_in_force("CG-001", w.district), w.street_b).time_limit == 2
    )  # override carried over
    event = history(published).get(action="duty_list.published")
    assert (event.actor, event.from_state, event.to_state) == (w.users["coordinator"], "draft", "published")
    assert event.data["retired"] == 1
    assert history(w.duty_list).filter(action="duty_list.retired").exists()


def test_only_a_draft_can_be_published(world):
    with pytest.raises(Conflict):
        do_publish(actor=world.users["admin"], duty_list_id=world.duty_list.pk)


def test_an_empty_draft_cannot_be_published(world):
    draft = do_create_draft(actor=world.users["admin"], district=world.district, name="空", copy=False)
    with pytest.raises(ValidationFailed):
        do_publish(actor=world.users["admin"], duty_list_id=draft.pk)


def test_an_older_draft_cannot_replace_a_newer_version_in_force(world):
    old = do_create_draft(actor=None, district=world.district, name="v2")
    newer = do_create_draft(actor=None, district=world.district, name="v3")
    do_publish(actor=None, duty_list_id=newer.pk)
    with pytest.raises(Conflict):
        do_publish(actor=None, duty_list_id=old.pk)
    assert DutyList.objects.in_force(world.district) == newer


def test_only_district_managers_manage_lists(world):
    for who in ("dispatcher", "lead_handler", "outsider", "resident"):
        with pytest.raises(Forbidden):
            do_create_draft(actor=world.users[who], district=world.district, name="x")
    draft = do_create_draft(actor=None, district=world.district, name="x")
    with pytest.raises(Forbidden):
        do_publish(actor=world.users["street_leader"], duty_list_id=draft.pk)
    assert DutyList.objects.get(pk=draft.pk).status == "draft"


def test_a_draft_can_be_discarded_a_published_list_cannot(world):
    draft = do_create_draft(actor=None, district=world.district, name="x")
    do_discard_draft(actor=world.users["admin"], duty_list_id=draft.pk)
    assert not DutyList.objects.filter(pk=draft.pk).exists()
    with pytest.raises(Conflict):
        do_discard_draft(actor=world.users["admin"], duty_list_id=world.duty_list.pk)


def test_the_database_allows_one_published_version_per_district(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyListFactory(district=world.district, version=9, status="published")


# --- a published list never changes --------------------------------------------------------------------


def test_matters_of_a_published_list_refuse_every_write(duty_world, override):
    w = duty_world
    matter = w.matter
    matter.time_limit = 1
    with pytest.raises(FrozenDutyList):
        matter.save()
    with pytest.raises(FrozenDutyList):
        matter.delete()
    with pytest.raises(FrozenDutyList):
        MatterFactory(duty_list=w.duty_list, lead_unit=w.lead_unit)
    with pytest.raises(FrozenDutyList):
        Matter.objects.filter(pk=matter.pk).update(time_limit=1)
    with pytest.raises(FrozenDutyList):
        Matter.objects.filter(pk=matter.pk).delete()
    with pytest.raises(FrozenDutyList), transaction.atomic():
        matter.supporting_units.add(w.section_a)
    with pytest.raises(FrozenDutyList), transaction.atomic():
        matter.supporting_units.remove(w.supporting_unit)
    with pytest.raises(FrozenDutyList), transaction.atomic():
        matter.supporting_units.clear()
    with pytest.raises(FrozenDutyList), transaction.atomic():
        w.section_a.supported_matters.add(matter)  # from the other side
    with pytest.raises(FrozenDutyList), transaction.atomic():
        w.supporting_unit.supported_matters.clear()
    fresh = Matter.objects.get(pk=matter.pk)
    assert fresh.time_limit == 7 and list(fresh.supporting_units.all()) == [w.supporting_unit]


def test_overrides_of_a_published_list_refuse_every_write(duty_world, override):
    w = duty_world
    override.time_limit = 9
    with pytest.raises(FrozenDutyList):
        override.save()
    with pytest.raises(FrozenDutyList):
        override.delete()
    with pytest.raises(FrozenDutyList):
        MatterOverride.objects.create(matter=w.matter, street=w.street_a, time_limit=1)
    with pytest.raises(FrozenDutyList):
        MatterOverride.objects.filter(pk=override.pk).update(time_limit=9)
    with pytest.raises(FrozenDutyList):
        MatterOverride.objects.filter(pk=override.pk).delete()
    with pytest.raises(FrozenDutyList), transaction.atomic():
        override.supporting_units.add(w.supporting_unit)
    with pytest.raises(FrozenDutyList), transaction.atomic():
        override.supporting_units.clear()
    assert MatterOverride.objects.get(pk=override.pk).time_limit == 2


def test_the_published_list_itself_cannot_be_renamed_reopened_or_deleted(world):
    dl = world.duty_list
    dl.name = "改名"
    with pytest.raises(FrozenDutyList):
        dl.save()
    dl.refresh_from_db()
    dl.status = "draft"
    with pytest.raises(FrozenDutyList):
        dl.save()
    with pytest.raises(FrozenDutyList):
        DutyList.objects.get(pk=dl.pk).delete()
    with pytest.raises(FrozenDutyList):
        DutyList.objects.filter(pk=dl.pk).delete()


def test_a_draft_is_freely_editable(world):
    draft = do_create_draft(actor=None, district=world.district, name="v2")
    matter = draft.matters.get()
    matter.time_limit = 2
    matter.save()
    matter.supporting_units.add(world.section_a)
    MatterOverride.objects.create(matter=matter, street=world.street_a, time_limit=1).delete()
    assert Matter.objects.get(pk=matter.pk).supporting_units.count() == 2


def test_a_draft_whose_lead_unit_was_deactivated_cannot_be_published(duty_world):
    draft = do_create_draft(actor=None, district=duty_world.district, name="v2")
    draft.matters.update(lead_unit=duty_world.inactive_unit)
    with pytest.raises(ValidationFailed) as exc:
        do_publish(actor=None, duty_list_id=draft.pk)
    assert "CG-001" in exc.value.message
    assert DutyList.objects.get(pk=draft.pk).status == "draft"


def test_a_stale_copy_of_a_list_published_meanwhile_cannot_be_written_through(world):
    draft = do_create_draft(actor=None, district=world.district, name="v2")
    matter = Matter.objects.select_related("duty_list").get(duty_list=draft)  # duty_list cached as draft
    override = MatterOverride.objects.create(matter=matter, street=world.street_a, time_limit=1)
    do_publish(actor=None, duty_list_id=draft.pk)
    matter.name = "改"
    with pytest.raises(FrozenDutyList):
        matter.save()
    with pytest.raises(FrozenDutyList):
        MatterOverride.objects.create(matter=matter, street=world.street_b, time_limit=1)
    with pytest.raises(FrozenDutyList):
        override.delete()


def test_publishing_records_what_changed_against_the_replaced_version(duty_world):
    from shaobao.duties.selectors import version_diff

    w = duty_world
    draft = do_create_draft(actor=None, district=w.district, name="v2")
    assert version_diff(w.duty_list, draft).is_empty
    draft.matters.filter(code="CG-001").update(time_limit=3)
    MatterFactory(duty_list=draft, code="NEW-1", lead_unit=w.lead_unit)
    MatterOverride.objects.create(matter=draft.matters.get(code="CG-001"), street=w.street_b, time_limit=1)
    published = do_publish(actor=None, duty_list_id=draft.pk)
    changes = history(published).get(action="duty_list.published").data["changes"]
    assert changes["added"] == ["NEW-1"] and changes["changed"] == ["CG-001"] and changes["removed"] == []
    assert changes["overrides_added"] == ["110117002000:CG-001"]
