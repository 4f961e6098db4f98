"""Rules of forces sent down: deployments, quotas, presence, the host's tasks, the one-third assessors."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.models import Event
from shaobao.evaluation.extras import figures
from shaobao.evaluation.indicators import Period
from shaobao.forces import actions, selectors
from shaobao.forces.access import cadre_handles_demand, deployments_visible_to
from shaobao.forces.models import (
    AssessmentRound,
    Assessor,
    Cadre,
    CadreScore,
    Deployment,
    PresenceLog,
)
from shaobao.intake import actions as intake
from shaobao.intake.access import access_demand
from shaobao.org.models import Membership
from tests.intake.flow import blow, new_demand

pytestmark = pytest.mark.django_db


def deploy(forces, world, **kw):
    values = {
        "actor": world.users["coordinator"],
        "cadre_id": forces.idle.pk,
        "mode": "key_task",
        "host_code": world.street_a.code,
        "starts_on": forces.today,
    }
    values.update(kw)
    return actions.do_create_deployment(**values)


# --- deployments ----------------------------------------------------------------------------------------


def test_deployment_in_each_mode_and_bad_input_named(forces, world):
    d = deploy(forces, world, mode="village_household", host_code=world.community_a1.code, post="包户")
    assert d.unit == world.lead_unit and d.host == world.community_a1
    before = Deployment.objects.count()
    for kw, field in [
        ({"mode": "parachute"}, "mode"),
        ({"starts_on": "2026-05-02", "ends_on": "2026-05-01", "cadre_id": forces.reserve.pk}, "ends_on"),
        ({"host_code": world.other_district.code, "cadre_id": forces.reserve.pk}, "host"),
        ({"cadre_id": 999999}, "cadre"),
        (
            {
                "host_code": world.community_a1.code,
                "host_enterprise": "某公司",
                "cadre_id": forces.reserve.pk,
            },
            "host_enterprise",
        ),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            deploy(forces, world, **kw)
        assert field in exc.value.fields, (kw, exc.value.fields)
    assert Deployment.objects.count() == before


def test_a_cadre_is_at_one_host_at_a_time(forces, world):
    with pytest.raises(ValidationFailed) as exc:
        deploy(forces, world, cadre_id=forces.cadre.pk, host_code=world.street_b.code)
    assert exc.value.fields == {"cadre": "already_deployed"}
    # After the first ends, the cadre may go elsewhere.
    actions.do_end_deployment(actor=world.users["coordinator"], deployment_id=forces.deployment.pk)
    later = deploy(
        forces,
        world,
        cadre_id=forces.cadre.pk,
        host_code=world.street_b.code,
        starts_on=forces.today + dt.timedelta(days=1),
    )
    assert later.host == world.street_b


def test_who_may_deploy(forces, world):
    u = world.users
    # The unit's leader sends the unit's own cadres, not the reserve pool's.
    assert deploy(forces, world, actor=u["lead_leader"]).unit == world.lead_unit
    for persona, cadre in [
        ("lead_leader", forces.reserve),
        ("dispatcher", forces.reserve),
        ("lead_handler", forces.reserve),
    ]:
        with pytest.raises(Forbidden):
            deploy(forces, world, actor=u[persona], cadre_id=cadre.pk)


def test_deployment_gives_and_ending_takes_the_cadre_role(forces, world):
    user = forces.cadre.user
    assert Membership.objects.filter(user=user, role="deployed_cadre", division=world.street_a).exists()
    actions.do_end_deployment(
        actor=world.users["coordinator"], deployment_id=forces.deployment.pk, note="期满"
    )
    assert not Membership.objects.filter(user=user, role="deployed_cadre").exists()
    with pytest.raises(Conflict):
        actions.do_end_deployment(actor=world.users["coordinator"], deployment_id=forces.deployment.pk)


def test_the_host_street_leader_may_end_but_not_another_street(forces, world):
    with pytest.raises(NotFound):
        actions.do_end_deployment(actor=world.users["dispatcher_b"], deployment_id=forces.deployment.pk)
    with pytest.raises(Forbidden):
        actions.do_end_deployment(actor=world.users["dispatcher"], deployment_id=forces.deployment.pk)
    d = actions.do_end_deployment(actor=world.users["street_leader"], deployment_id=forces.deployment.pk)
    assert d.ends_on == forces.today


def test_village_post_is_filled_once_and_vacancy_shows(forces, world):
    coordinator = world.users["coordinator"]
    rows = selectors.village_posts(coordinator, vacant_only=True)
    assert [r["post"] for r in rows] == [forces.post]
    with pytest.raises(ValidationFailed) as exc:
        deploy(forces, world, mode="village_post", host_code=world.community_a1.code)
    assert "village_post" in exc.value.fields
    d = deploy(
        forces, world, mode="village_post", host_code=world.community_a1.code, village_post_id=forces.post.pk
    )
    assert d.post == "村党支部副书记"
    assert selectors.village_posts(coordinator, vacant_only=True) == []
    with pytest.raises(ValidationFailed) as exc:
        deploy(
            forces,
            world,
            cadre_id=forces.reserve.pk,
            mode="village_post",
            host_code=world.community_a1.code,
            village_post_id=forces.post.pk,
        )
    assert exc.value.fields == {"village_post": "filled"}


def test_reserve_pool_search_by_skill(forces, world):
    coordinator = world.users["coordinator"]
    assert list(selectors.reserve_pool(coordinator, skill="调解")) == [forces.reserve]
    assert list(selectors.reserve_pool(coordinator, skill="消防")) == []  # not in the pool
    assert list(selectors.reserve_pool(world.users["outsider"], skill="调解")) == []


# --- permissions by host and unit ------------------------------------------------------------------------


def test_who_sees_which_deployments(forces, world):
    u = world.users

    def seen(user):
        return set(deployments_visible_to(user))

    both = {forces.deployment, forces.deployment_b}
    assert seen(u["coordinator"]) == both
    assert seen(u["lead_handler"]) == both  # the sending unit
    assert seen(u["dispatcher"]) == {forces.deployment}  # the host street
    assert seen(u["dispatcher_b"]) == {forces.deployment_b}
    assert seen(forces.cadre.user) == {forces.deployment}
    assert seen(u["supporting_handler"]) == set()
    assert seen(u["outsider"]) == set()
    assert seen(u["resident"]) == set()


# --- quota fulfilment ------------------------------------------------------------------------------------


def test_quota_fulfilment_is_the_average_present_against_share_of_staff(forces, world):
    last = forces.today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=13)
    days = selectors.workdays(first, last)
    assert len(days) >= 6
    quota = actions.do_set_quota(
        actor=world.users["lead_leader"], unit_code="CGZF", staff=4, share="50", starts_on=first, ends_on=last
    )
    assert float(quota.share) == 0.5 and quota.required_per_day == 2
    # Cadre A every working day, cadre B on half of them, and a weekend log that does not count.
    PresenceLog.objects.bulk_create(
        [PresenceLog(deployment=forces.deployment, cadre=forces.cadre, day=d) for d in days]
        + [PresenceLog(deployment=forces.deployment_b, cadre=forces.cadre_b, day=d) for d in days[::2]]
    )
    other = Cadre.objects.create(name="他单位", unit=world.supporting_unit, district=world.district)
    other_d = deploy(forces, world, cadre_id=other.pk, starts_on=first)
    PresenceLog.objects.bulk_create([PresenceLog(deployment=other_d, cadre=other, day=d) for d in days])
    result = selectors.quota_fulfilment(quota)
    present = len(days) + len(days[::2])
    assert result["days"] == len(days) and result["present"] == present
    assert result["rate"] == pytest.approx(present / len(days) / 2)
    assert not result["met"]
    PresenceLog.objects.bulk_create(
        [PresenceLog(deployment=forces.deployment_b, cadre=forces.cadre_b, day=d) for d in days[1::2]]
    )
    assert selectors.quota_fulfilment(quota)["rate"] == pytest.approx(1.0)
    assert selectors.quota_fulfilment(quota)["met"]


def test_quota_input_and_permissions(forces, world):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_set_quota(
            actor=world.users["coordinator"],
            unit_code="CGZF",
            staff=0,
            share=150,
            starts_on="2026-01-05",
            ends_on="2026-01-01",
        )
    assert {"staff", "share", "ends_on"} <= set(exc.value.fields)
    with pytest.raises(Forbidden):
        actions.do_set_quota(
            actor=world.users["supporting_handler"],
            unit_code="CGZF",
            staff=5,
            share=0.5,
            starts_on="2026-01-01",
            ends_on="2026-01-31",
        )


# --- presence --------------------------------------------------------------------------------------------


def test_presence_once_a_day(forces, world):
    log, created = actions.do_log_presence(actor=forces.cadre.user, note="巡查河道")
    assert created and log.day == forces.today and log.deployment == forces.deployment
    again, created = actions.do_log_presence(actor=forces.cadre.user, note="处理占道")
    assert not created and again.pk == log.pk
    assert PresenceLog.objects.filter(cadre=forces.cadre).count() == 1
    assert "巡查河道" in again.note and "处理占道" in again.note
    with pytest.raises(Forbidden):  # not deployed today
        actions.do_log_presence(actor=world.users["dispatcher"])
    actions.do_end_deployment(
        actor=world.users["coordinator"],
        deployment_id=forces.deployment.pk,
        ends_on=forces.today - dt.timedelta(days=1),
    )
    with pytest.raises(Forbidden):
        actions.do_log_presence(actor=forces.cadre.user)


# --- the host's tasks: a self-handled demand ---------------------------------------------------------------


def self_handled(world, **kw):
    demand = new_demand(world, **kw)
    return intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )


def test_cadre_finishes_only_the_demand_given_to_them(forces, world):
    cadre_user = forces.cadre.user
    demand = self_handled(world)
    other = self_handled(world)
    with pytest.raises(NotFound):  # not given yet: the demand stays invisible
        intake.do_finish_self_handling(actor=cadre_user, demand_id=demand.pk, note="已处理")
    # Another street's dispatcher does not command this cadre.
    with pytest.raises(NotFound):
        actions.do_assign_task(
            actor=world.users["dispatcher_b"], deployment_id=forces.deployment.pk, demand_id=demand.pk
        )
    task = actions.do_assign_task(
        actor=world.users["dispatcher"],
        deployment_id=forces.deployment.pk,
        demand_id=demand.pk,
        details="今天去现场",
    )
    assert task.kind == "demand" and cadre_handles_demand(cadre_user, demand)
    assert access_demand(cadre_user, demand.pk) == demand
    assert not cadre_handles_demand(cadre_user, other)
    with pytest.raises(NotFound):
        access_demand(cadre_user, other.pk)
    # The other cadre (deployed elsewhere) cannot act on it.
    assert not cadre_handles_demand(forces.cadre_b.user, demand)
    with pytest.raises(NotFound):
        actions.do_finish_task(actor=forces.cadre_b.user, task_id=task.pk, note="x")
    actions.do_task_note(actor=cadre_user, task_id=task.pk, note="已联系业主")
    assert Event.objects.filter(
        subject_type="intake.demand", subject_id=demand.pk, action="record_progress"
    ).exists()
    actions.do_finish_task(actor=cadre_user, task_id=task.pk, note="违建已拆除")
    demand.refresh_from_db()
    task.refresh_from_db()
    assert demand.state == "handled" and task.state == "done"
    with pytest.raises(Conflict):
        actions.do_finish_task(actor=cadre_user, task_id=task.pk, note="again")


def test_cadre_loses_the_demand_when_the_deployment_ends(forces, world):
    demand = self_handled(world)
    task = actions.do_assign_task(
        actor=world.users["dispatcher"], deployment_id=forces.deployment.pk, demand_id=demand.pk
    )
    actions.do_end_deployment(
        actor=world.users["coordinator"],
        deployment_id=forces.deployment.pk,
        ends_on=forces.today - dt.timedelta(days=1),
    )
    assert not cadre_handles_demand(forces.cadre.user, demand)
    with pytest.raises((NotFound, Forbidden)):  # no longer a cadre of the street: not even a role left
        intake.do_finish_self_handling(actor=forces.cadre.user, demand_id=demand.pk, note="已处理")
    with pytest.raises(Forbidden):
        actions.do_finish_task(actor=forces.cadre.user, task_id=task.pk, note="已处理")
    demand.refresh_from_db()
    assert demand.state == "self_handling"


def test_only_a_self_handled_demand_of_the_host_street(forces, world):
    received = new_demand(world)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_assign_task(
            actor=world.users["dispatcher"], deployment_id=forces.deployment.pk, demand_id=received.pk
        )
    assert exc.value.fields == {"demand": "not_self_handling"}
    with pytest.raises(ValidationFailed) as exc:
        actions.do_assign_task(
            actor=world.users["dispatcher_b"],
            deployment_id=forces.deployment_b.pk,
            demand_id=self_handled(world).pk,
        )
    assert exc.value.fields == {"demand": "invalid"}
    with pytest.raises(Forbidden):  # a grid worker of the street sees the cadre but does not command
        actions.do_assign_task(
            actor=world.users["grid_worker"], deployment_id=forces.deployment.pk, title="巡查"
        )


def test_supporting_hand_on_a_whistle_shows_on_its_timeline(forces, world):
    whistle = blow(world)
    task = actions.do_assign_task(
        actor=world.users["dispatcher"], deployment_id=forces.deployment.pk, whistle_id=whistle.pk
    )
    assert task.kind == "whistle"
    actions.do_task_note(actor=forces.cadre.user, task_id=task.pk, note="协助疏导围观群众")
    notes = Event.objects.filter(subject_type="whistles.whistle", subject_id=whistle.pk).values_list(
        "action", "note"
    )
    assert ("record_progress", "协助疏导围观群众") in set(notes)
    assert any(a == "assign_cadre" for a, _n in notes)


# --- the host's assessment --------------------------------------------------------------------------------


def panel(grassroots: int, others: int) -> list[dict]:
    return [{"name": f"村书记{i}", "kind": "village_party_secretary"} for i in range(grassroots)] + [
        {"name": f"街道干部{i}", "kind": "street_official"} for i in range(others)
    ]


def assess(forces, world, assessors, **kw):
    values = {
        "actor": world.users["street_leader"],
        "host_code": world.street_a.code,
        "title": "季度考核",
        "starts_on": forces.today - dt.timedelta(days=30),
        "ends_on": forces.today,
        "assessors": assessors,
        "scores": [{"deployment": forces.deployment.pk, "score": 88}],
    }
    values.update(kw)
    return actions.do_create_assessment(**values)


def test_one_third_of_assessors_from_the_grassroots(forces, world):
    with pytest.raises(ValidationFailed) as exc:
        assess(forces, world, panel(1, 3))  # 1 of 4: too few
    assert "assessors" in exc.value.fields and "1/4" in exc.value.fields["assessors"]
    assert (
        not AssessmentRound.objects.exists()
        and not Assessor.objects.exists()
        and not CadreScore.objects.exists()
    )
    round_ = assess(forces, world, panel(1, 2))  # exactly one third
    assert round_.assessors.count() == 3 and round_.scores.get().unit == world.lead_unit


def test_assessment_scores_only_cadres_of_the_host_and_by_the_host(forces, world):
    with pytest.raises(ValidationFailed) as exc:
        assess(forces, world, panel(2, 1), scores=[{"deployment": forces.deployment_b.pk, "score": 90}])
    assert "scores[0].deployment" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        assess(forces, world, panel(2, 1), scores=[{"deployment": forces.deployment.pk, "score": 101}])
    assert "scores[0].score" in exc.value.fields
    with pytest.raises(Forbidden):
        assess(forces, world, panel(2, 1), actor=world.users["dispatcher_b"])
    assert not AssessmentRound.objects.exists()


def test_host_assessment_shows_in_the_units_evaluation(forces, world):
    assess(forces, world, panel(2, 1), scores=[{"deployment": forces.deployment.pk, "score": 80}])
    assess(
        forces,
        world,
        panel(1, 1),
        actor=world.users["dispatcher_b"],
        host_code=world.street_b.code,
        scores=[{"deployment": forces.deployment_b.pk, "score": 91}],
    )
    figure = next(f for f in figures() if f.code == "host_assessment")
    period = Period(forces.today - dt.timedelta(days=5), forces.today)
    values = figure.compute({world.lead_unit.pk, world.supporting_unit.pk}, period)
    assert values == {world.lead_unit.pk: 85.5}
    old = Period(forces.today - dt.timedelta(days=400), forces.today - dt.timedelta(days=370))
    assert figure.compute({world.lead_unit.pk}, old) == {}
