"""The rules of the list of delegated powers and of the street's powers."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.evaluation import extras
from shaobao.evaluation.indicators import Period
from shaobao.powers import actions
from shaobao.powers.models import DelegatedPower, PowerVersion, Recommendation, StationedStaff, StreetNote
from shaobao.routing.services import propose
from tests.intake.flow import blow, lead_of
from tests.powers.conftest import power_data

pytestmark = pytest.mark.django_db


# --- the list -------------------------------------------------------------------------------------


def test_a_power_without_legal_basis_is_refused_and_nothing_is_written(world, team_a):
    with pytest.raises(ValidationFailed) as err:
        actions.do_create_power(
            actor=world.users["coordinator"], district=world.district, **power_data(world, legal_basis="  ")
        )
    assert "legal_basis" in err.value.fields
    assert not DelegatedPower.objects.exists() and not PowerVersion.objects.exists()


def test_every_bad_field_is_named(world, team_a):
    with pytest.raises(ValidationFailed) as err:
        actions.do_create_power(
            actor=world.users["coordinator"],
            district=world.district,
            **power_data(
                world,
                category="fine",
                department=world.outsider_unit.code,
                streets=["110105001"],
                effective_date="1 July",
                matters=["NOPE-1"],
            ),  # fmt: skip
        )
    assert set(err.value.fields) == {"category", "department", "streets", "effective_date", "matters"}


def test_the_database_refuses_an_empty_legal_basis_too(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DelegatedPower.objects.create(
            district=world.district, code="X", name="x", category="penalty", legal_basis="",
            department=world.lead_unit, effective_date=dt.date(2020, 1, 1),
        )  # fmt: skip


def test_edit_makes_a_new_version_and_keeps_the_old_one(world, power):
    actions.do_edit_power(
        actor=world.users["coordinator"], power_id=power.pk, note="扩大到兴谷街道",
        **power_data(world, streets=[world.street_a.code, world.street_b.code]),
    )  # fmt: skip
    power.refresh_from_db()
    assert power.version == 2
    versions = list(power.versions.order_by("version"))
    assert [v.change for v in versions] == ["created", "edited"]
    assert versions[0].snapshot["streets"] == [world.street_a.code]
    assert versions[1].snapshot["streets"] == [world.street_a.code, world.street_b.code]
    # the same fields again: no new version
    actions.do_edit_power(
        actor=world.users["coordinator"], power_id=power.pk,
        **power_data(world, streets=[world.street_a.code, world.street_b.code]),
    )  # fmt: skip
    assert power.versions.count() == 2


def test_withdrawal_keeps_history_and_cannot_happen_twice(world, power):
    actions.do_withdraw_power(actor=world.users["coordinator"], power_id=power.pk, reason="收回区级行使")
    power.refresh_from_db()
    assert power.status == "withdrawn" and power.withdrawn_on == dt.date.today()
    assert [v.change for v in power.versions.order_by("version")] == ["created", "withdrawn"]
    assert [e.action for e in audit.history(power)] == ["create_power", "withdraw_power"]
    with pytest.raises(Conflict):
        actions.do_withdraw_power(actor=world.users["coordinator"], power_id=power.pk, reason="再次")
    with pytest.raises(Conflict):
        actions.do_edit_power(actor=world.users["coordinator"], power_id=power.pk, **power_data(world))


def test_only_the_district_manages_the_list(world, power):
    for name in ("dispatcher", "street_leader", "lead_leader"):
        with pytest.raises(Forbidden):
            actions.do_create_power(
                actor=world.users[name], district=world.district, **power_data(world, code="CF-0002")
            )
    with pytest.raises(Forbidden):
        actions.do_withdraw_power(actor=world.users["lead_leader"], power_id=power.pk, reason="x")
    # street B does not even see street A's power
    with pytest.raises(NotFound):
        actions.do_withdraw_power(actor=world.users["dispatcher_b"], power_id=power.pk, reason="x")


def test_a_street_sees_its_own_powers_and_the_department_its_own(world, power):
    from shaobao.powers.access import powers_visible_to

    assert list(powers_visible_to(world.users["dispatcher"])) == [power]
    assert list(powers_visible_to(world.users["dispatcher_b"])) == []
    assert list(powers_visible_to(world.users["lead_handler"])) == [power]
    assert list(powers_visible_to(world.users["supporting_handler"])) == []
    assert list(powers_visible_to(world.users["outsider"])) == []


# --- routing ----------------------------------------------------------------------------------------


def test_routing_proposes_the_streets_team_for_a_delegated_power_and_says_why(world, power, team_a):
    proposal = propose(body="小区里私搭乱建", district=world.district, street=world.street_a)
    assert proposal.matter.code == world.matter.code
    assert proposal.lead_unit.code == team_a.code and proposal.supporting_units == []
    reason = proposal.self_handling
    assert (reason.power_code, reason.power_name, reason.since) == (
        "CF-0001",
        power.name,
        dt.date(2019, 7, 1),
    )
    # street B holds no such power: the department, as the duty list says
    other = propose(body="小区里私搭乱建", district=world.district, street=world.street_b)
    assert other.lead_unit.code == world.lead_unit.code and other.self_handling is None


def test_withdrawal_stops_the_routing_effect(world, power):
    actions.do_withdraw_power(actor=world.users["coordinator"], power_id=power.pk, reason="收回")
    proposal = propose(body="小区里私搭乱建", district=world.district, street=world.street_a)
    assert proposal.lead_unit.code == world.lead_unit.code and proposal.self_handling is None


def test_a_power_not_yet_effective_does_not_act(world, team_a):
    actions.do_create_power(
        actor=world.users["coordinator"], district=world.district,
        **power_data(world, effective_date=dt.date.today() + dt.timedelta(days=10)),
    )  # fmt: skip
    proposal = propose(body="小区里私搭乱建", district=world.district, street=world.street_a)
    assert proposal.self_handling is None


def test_a_power_not_covering_the_matter_does_not_act(world, team_a):
    actions.do_create_power(
        actor=world.users["coordinator"], district=world.district, **power_data(world, matters=[])
    )
    proposal = propose(body="小区里私搭乱建", district=world.district, street=world.street_a)
    assert proposal.self_handling is None and proposal.lead_unit.code == world.lead_unit.code


# --- proposals and urge notes on a summons ---------------------------------------------------------


def test_urge_note_counts_for_the_unit_in_the_evaluation(world, team_a):
    summons = lead_of(blow(world))
    note = actions.do_file_note(
        actor=world.users["street_leader"], summons_id=summons.pk, kind="urge", text="请于本周内完成拆除"
    )
    assert note.unit_id == world.lead_unit.pk
    figures, values = extras.unit_extras(
        [{"id": world.lead_unit.pk}, {"id": world.supporting_unit.pk}], Period.month(dt.date.today())
    )
    column = [f.code for f in figures].index("urge_notes")
    assert values[world.lead_unit.pk][column] == 1
    assert values[world.supporting_unit.pk][column] is None
    last_month = Period.month(dt.date.today().replace(day=1) - dt.timedelta(days=1))
    assert extras.unit_extras([{"id": world.lead_unit.pk}], last_month)[1][world.lead_unit.pk][column] is None


def test_only_a_street_leader_urges_and_only_its_own_street(world, team_a):
    summons = lead_of(blow(world))
    with pytest.raises(Forbidden):
        actions.do_file_note(actor=world.users["dispatcher"], summons_id=summons.pk, kind="urge", text="快")
    with pytest.raises(NotFound):  # street B does not see street A's summons
        actions.do_file_note(
            actor=world.users["street_leader_b"], summons_id=summons.pk, kind="urge", text="快"
        )
    # a dispatcher may file a proposal on handling
    note = actions.do_file_note(
        actor=world.users["dispatcher"], summons_id=summons.pk, kind="proposal", text="建议先行断电"
    )
    assert note.kind == "proposal" and StreetNote.objects.count() == 1


def test_the_unit_answers_a_note_once(world, team_a):
    summons = lead_of(blow(world))
    note = actions.do_file_note(
        actor=world.users["dispatcher"], summons_id=summons.pk, kind="proposal", text="建议"
    )
    with pytest.raises(NotFound):  # another unit does not even see it
        actions.do_answer_note(actor=world.users["supporting_handler"], note_id=note.pk, answer="收到")
    with pytest.raises(Forbidden):  # the street sees it but does not answer its own note
        actions.do_answer_note(actor=world.users["dispatcher"], note_id=note.pk, answer="收到")
    actions.do_answer_note(actor=world.users["lead_handler"], note_id=note.pk, answer="已采纳")
    with pytest.raises(Conflict):
        actions.do_answer_note(actor=world.users["lead_leader"], note_id=note.pk, answer="再答")
    note.refresh_from_db()
    assert note.answer == "已采纳" and note.answered_by == world.users["lead_handler"]


# --- recommendations on stationed staff -------------------------------------------------------------


@pytest.fixture
def staff(world):
    return StationedStaff.objects.create(
        street=world.street_a, department=world.lead_unit, name="李执法", position="执法中队长",
        since=dt.date(2020, 3, 1),
    )  # fmt: skip


def test_recommendation_answered_once_then_conflict(world, staff):
    rec = actions.do_file_recommendation(
        actor=world.users["street_leader"], staff_id=staff.pk, kind="removal", reason="多次推诿"
    )
    assert rec.state == "filed" and rec.department == world.lead_unit
    rec = actions.do_answer_recommendation(
        actor=world.users["lead_leader"], recommendation_id=rec.pk, accepted=True, answer="同意调整"
    )
    assert rec.state == "accepted"
    with pytest.raises(Conflict):
        actions.do_answer_recommendation(
            actor=world.users["lead_leader"], recommendation_id=rec.pk, accepted=False, answer="改为不同意"
        )
    rec.refresh_from_db()
    assert rec.state == "accepted" and rec.answer == "同意调整"
    assert [e.action for e in audit.history(rec)] == ["file_recommendation", "answer_recommendation"]


def test_recommendation_permissions(world, staff):
    with pytest.raises(NotFound):
        actions.do_file_recommendation(
            actor=world.users["dispatcher_b"], staff_id=staff.pk, kind="removal", reason="x"
        )
    with pytest.raises(Forbidden):
        actions.do_file_recommendation(
            actor=world.users["grid_worker"], staff_id=staff.pk, kind="removal", reason="x"
        )
    rec = actions.do_file_recommendation(
        actor=world.users["dispatcher"], staff_id=staff.pk, kind="appointment", reason="表现突出"
    )
    with pytest.raises((NotFound, Forbidden)):
        actions.do_answer_recommendation(
            actor=world.users["supporting_handler"], recommendation_id=rec.pk, accepted=True, answer="x"
        )
    with pytest.raises(Forbidden):  # the street cannot answer its own recommendation
        actions.do_answer_recommendation(
            actor=world.users["dispatcher"], recommendation_id=rec.pk, accepted=True, answer="x"
        )
    assert Recommendation.objects.get().state == "filed"
