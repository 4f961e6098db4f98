"""The rules of the village work teams: team size and forces, review cadence, measure deadlines in
working days, the plan's states, household visits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.forces.models import Deployment
from shaobao.workteams import actions, selectors
from shaobao.workteams.models import HouseholdVisit, Measure, WorkTeam, WorkTeamMember
from tests.workteams.conftest import FIVE, specs

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def create(world, cadres, shape=FIVE, **kw):
    return actions.do_create_team(
        actor=world.users["coordinator"],
        village_code=kw.pop("village", world.community_a1.code),
        kind=kw.pop("kind", "governance_difficulty"),
        members=specs(cadres, shape),
        **kw,
    )


# --- size and forces ----------------------------------------------------------------------------


def test_team_gets_members_and_deployments_to_the_village(world, teams):
    team = teams.team_a
    seats = list(team.members.select_related("deployment"))
    assert len(seats) == 5
    assert {s.deployment.host_id for s in seats} == {world.community_a1.pk}
    modes = {s.post: s.deployment.mode for s in seats}
    assert modes["team_leader"] == "village_household"
    assert modes["first_secretary"] == "village_post"
    assert modes["specialist"] == "village_household"
    assert team.street_id == world.street_a.pk


@pytest.mark.parametrize("n", [3, 6])
def test_team_of_fewer_than_four_or_more_than_five_is_refused_and_nothing_written(world, teams, n):
    shape = (FIVE * 2)[:n]
    before = (WorkTeam.objects.count(), Deployment.objects.count(), WorkTeamMember.objects.count())
    with pytest.raises(ValidationFailed) as err:
        create(world, teams.spare[:n], shape)
    assert "members" in err.value.fields
    assert "4" in err.value.message and "5" in err.value.message
    assert (WorkTeam.objects.count(), Deployment.objects.count(), WorkTeamMember.objects.count()) == before


def test_team_without_a_specialist_is_refused(world, teams):
    shape = [FIVE[0], FIVE[1], FIVE[2], FIVE[3]]
    with pytest.raises(ValidationFailed) as err:
        create(world, teams.spare[:4], shape)
    assert err.value.code == "team_forces" and "specialist" in err.value.message
    assert WorkTeam.objects.count() == 2


def test_post_must_belong_to_its_force(world, teams):
    shape = [("leadership", "first_secretary"), FIVE[1], FIVE[3], FIVE[4]]
    with pytest.raises(ValidationFailed) as err:
        create(world, teams.spare[:4], shape)
    assert "members.0.post" in err.value.fields


def test_cadre_on_another_active_team_is_refused(world, teams):
    cadres = [teams.cadres[1], *teams.spare[:3]]
    before = Deployment.objects.count()
    with pytest.raises(ValidationFailed) as err:
        create(world, cadres, [FIVE[0], FIVE[1], FIVE[3], FIVE[4]])
    assert "members.0.cadre" in err.value.fields
    assert Deployment.objects.count() == before


def test_unknown_kind_and_a_street_as_village_name_the_field(world, teams):
    with pytest.raises(ValidationFailed) as err:
        create(world, teams.spare[:4], kind="poor")
    assert "kind" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        create(world, teams.spare[:4], village=world.street_a.code)
    assert "village" in err.value.fields


def test_only_the_district_sends_a_team(world, teams):
    with pytest.raises(Forbidden):
        actions.do_create_team(
            actor=world.users["dispatcher"],
            village_code=world.community_a1.code,
            kind="weak_and_lax",
            members=specs(teams.spare[:5]),
        )


def test_sixth_member_refused_and_fourth_member_cannot_leave(world, teams):
    coordinator = world.users["coordinator"]
    with pytest.raises(ValidationFailed) as err:
        actions.do_add_member(
            actor=coordinator,
            team_id=teams.team_a.pk,
            cadre_id=teams.spare[0].pk,
            force="resident",
            post="village_official",
        )
    assert err.value.code == "team_size"
    b_seats = list(teams.team_b.members.all())
    with pytest.raises(ValidationFailed):
        actions.do_remove_member(actor=coordinator, member_id=b_seats[1].pk)
    # With a fifth member added, one may leave; the deployment of who left ends today.
    actions.do_add_member(
        actor=coordinator,
        team_id=teams.team_b.pk,
        cadre_id=teams.spare[0].pk,
        force="resident",
        post="selected_graduate",
    )
    left = actions.do_remove_member(actor=coordinator, member_id=b_seats[1].pk)
    assert left.left_on == actions.today()
    assert Deployment.objects.get(pk=left.deployment_id).ends_on == actions.today()
    assert teams.team_b.members.filter(left_on__isnull=True).count() == 4


def test_last_specialist_cannot_leave(world, teams):
    specialist = teams.team_a.members.get(force="specialist")
    with pytest.raises(ValidationFailed) as err:
        actions.do_remove_member(actor=world.users["coordinator"], member_id=specialist.pk)
    assert err.value.code == "team_forces"


def test_closing_a_team_ends_its_deployments_and_frees_its_cadres(world, teams):
    actions.do_close_team(actor=world.users["coordinator"], team_id=teams.team_b.pk)
    assert not Deployment.objects.filter(work_team_seats__team=teams.team_b, ends_on__isnull=True).exists()
    shape = [FIVE[0], FIVE[1], FIVE[3], FIVE[4]]
    # the deployments ran until today (one host a day, the forces' rule): the cadres go again from tomorrow
    with pytest.raises(ValidationFailed) as exc:
        create(world, teams.cadres[5:9], shape, village=world.community_b1.code)
    assert exc.value.fields == {"members.0.cadre": "already_deployed"}
    tomorrow = actions.today() + dt.timedelta(days=1)
    team = create(world, teams.cadres[5:9], shape, village=world.community_b1.code, starts_on=tomorrow)
    assert team.members.count() == 4
    with pytest.raises(Conflict):
        actions.do_record_review(actor=world.users["coordinator"], team_id=teams.team_b.pk, progress="x")


# --- review cadence -----------------------------------------------------------------------------


def overdue_ids(user, now=None):
    return set(selectors.teams_for(user).filter(selectors.review_overdue_q(now)).values_list("pk", flat=True))


def test_team_is_overdue_fourteen_days_after_creation_or_its_last_review(world, teams):
    coordinator = world.users["coordinator"]
    now = dt.datetime.now(TZ)
    assert overdue_ids(coordinator, now) == set()
    WorkTeam.objects.filter(pk=teams.team_a.pk).update(created_at=now - dt.timedelta(days=14, hours=1))
    WorkTeam.objects.filter(pk=teams.team_b.pk).update(created_at=now - dt.timedelta(days=13, hours=23))
    assert overdue_ids(coordinator, now) == {teams.team_a.pk}

    actions.do_record_review(
        actor=coordinator, team_id=teams.team_a.pk, progress="进展", now=now - dt.timedelta(days=13)
    )
    assert overdue_ids(coordinator, now) == set()
    assert overdue_ids(coordinator, now + dt.timedelta(days=1, hours=1)) == {teams.team_a.pk, teams.team_b.pk}
    team = WorkTeam.objects.get(pk=teams.team_a.pk)
    assert selectors.is_review_overdue(team, now + dt.timedelta(days=2))
    assert not selectors.is_review_overdue(team, now)


def test_closed_team_is_never_overdue(world, teams):
    coordinator = world.users["coordinator"]
    WorkTeam.objects.update(created_at=dt.datetime.now(TZ) - dt.timedelta(days=30))
    actions.do_close_team(actor=coordinator, team_id=teams.team_b.pk)
    assert overdue_ids(coordinator) == {teams.team_a.pk}


def test_only_the_district_reviews_and_progress_is_required(world, teams):
    for who in ("dispatcher", "lead_leader"):
        with pytest.raises(Forbidden):
            actions.do_record_review(actor=world.users[who], team_id=teams.team_a.pk, progress="x")
    with pytest.raises(Forbidden):
        actions.do_record_review(actor=teams.member, team_id=teams.team_a.pk, progress="x")
    with pytest.raises(ValidationFailed) as err:
        actions.do_record_review(actor=world.users["coordinator"], team_id=teams.team_a.pk, progress="  ")
    assert "progress" in err.value.fields
    with pytest.raises(NotFound):  # another district's team does not exist for the outsider
        actions.do_record_review(actor=world.users["outsider"], team_id=teams.team_a.pk, progress="x")


# --- measures -----------------------------------------------------------------------------------


def owner(teams):
    return teams.team_a.members.get(post="selected_graduate")


def test_measure_deadline_counts_working_days_over_the_national_day_holiday(world, teams):
    start = dt.datetime(2025, 9, 30, 10, 0, tzinfo=TZ)  # Tuesday; 1–8 October are holidays, 11 October works
    m = actions.do_add_measure(
        actor=teams.member,
        team_id=teams.team_a.pk,
        title="整顿村党支部",
        owner_id=owner(teams).pk,
        working_days=3,
        now=start,
    )
    assert m.due_on == dt.date(2025, 10, 11)
    late = Measure.objects.filter(selectors.measure_overdue_q(dt.datetime(2025, 10, 11, 23, 0, tzinfo=TZ)))
    assert not late.exists()  # three calendar days (3 October) or the deadline day itself: not late
    assert not Measure.objects.filter(
        selectors.measure_overdue_q(dt.datetime(2025, 10, 3, 12, tzinfo=TZ))
    ).exists()
    assert list(
        Measure.objects.filter(selectors.measure_overdue_q(dt.datetime(2025, 10, 12, 9, tzinfo=TZ)))
    ) == [m]
    # 12 October is a Sunday: late by 0 working days then, by 1 on Monday the 13th.
    assert selectors.working_days_late(m.due_on, dt.date(2025, 10, 12)) == 0
    assert selectors.working_days_late(m.due_on, dt.date(2025, 10, 13)) == 1


def test_done_measure_is_not_overdue_and_done_is_final(world, teams):
    start = dt.datetime.now(TZ) - dt.timedelta(days=40)
    m = actions.do_add_measure(
        actor=world.users["coordinator"],
        team_id=teams.team_a.pk,
        title="修缮村道",
        owner_id=owner(teams).pk,
        working_days=5,
        now=start,
    )
    coordinator = world.users["coordinator"]
    assert [x.pk for x in selectors.overdue_measures(coordinator)] == [m.pk]
    actions.do_set_measure_state(actor=teams.member, measure_id=m.pk, state="in_progress")
    actions.do_set_measure_state(actor=teams.member, measure_id=m.pk, state="done")
    assert list(selectors.overdue_measures(coordinator)) == []
    with pytest.raises(Conflict):
        actions.do_set_measure_state(actor=teams.member, measure_id=m.pk, state="in_progress")


def test_measure_owner_must_be_an_active_member_of_the_team(world, teams):
    other = teams.team_b.members.first()
    with pytest.raises(ValidationFailed) as err:
        actions.do_add_measure(
            actor=teams.member, team_id=teams.team_a.pk, title="x", owner_id=other.pk, working_days=5
        )
    assert "owner" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        actions.do_add_measure(
            actor=teams.member, team_id=teams.team_a.pk, title="x", owner_id=owner(teams).pk, working_days=0
        )
    assert "working_days" in err.value.fields


def test_only_members_update_measure_states(world, teams):
    m = actions.do_add_measure(
        actor=teams.member, team_id=teams.team_a.pk, title="x", owner_id=owner(teams).pk, working_days=5
    )
    for user in (world.users["dispatcher"], world.users["coordinator"]):
        with pytest.raises(Forbidden):
            actions.do_set_measure_state(actor=user, measure_id=m.pk, state="done")
    with pytest.raises(NotFound):
        actions.do_set_measure_state(actor=teams.member_b, measure_id=m.pk, state="done")
    assert Measure.objects.get(pk=m.pk).state == "planned"


# --- visits -------------------------------------------------------------------------------------


def visit(teams, **kw):
    return actions.do_record_visit(
        actor=kw.pop("actor", teams.member),
        team_id=teams.team_a.pk,
        household=kw.pop("household", "王家"),
        address="承平里3排5号",
        visited_on=kw.pop("visited_on", actions.today()),
        notes="低保申请待办",
    )


def test_member_records_a_visit_as_the_visiting_member(world, teams):
    v = visit(teams)
    assert v.member.cadre.user == teams.member
    with pytest.raises(ValidationFailed) as err:
        visit(teams, visited_on=actions.today() + dt.timedelta(days=1))
    assert "visited_on" in err.value.fields
    with pytest.raises(Forbidden):
        visit(teams, actor=world.users["coordinator"])
    with pytest.raises(NotFound):
        visit(teams, actor=teams.member_b)
    assert HouseholdVisit.objects.count() == 1


def test_visits_are_private_to_the_street_the_district_and_the_team(world, teams):
    v = visit(teams)
    team = teams.team_a
    for user in (
        world.users["coordinator"],
        world.users["dispatcher"],
        world.users["grid_worker"],
        teams.member,
    ):
        assert list(selectors.visits_for(user, team)) == [v], user
    # Unit staff see the team their cadres sit on, but not the households it visited.
    assert selectors.teams_for(world.users["lead_leader"]).filter(pk=team.pk).exists()
    assert list(selectors.visits_for(world.users["lead_leader"], team)) == []
    for user in (
        world.users["dispatcher_b"],
        teams.member_b,
        world.users["supporting_handler"],
        world.users["outsider"],
    ):
        assert list(selectors.visits_for(user, team)) == [], user
        assert not selectors.teams_for(user).filter(pk=team.pk).exists(), user


def test_members_are_deployed_through_the_forces_action(world, teams):
    """A member with an account gets the deployed_cadre role at the village (the forces pages), loses it on
    leaving, and a cadre deployed elsewhere cannot join a team (one host at a time)."""
    from shaobao.forces.actions import do_create_deployment
    from shaobao.org.models import Membership
    from tests.factories import UserFactory

    cadre = teams.spare[0]
    cadre.user = UserFactory(username="cadre_on_team")
    cadre.save(update_fields=["user"])
    coordinator = world.users["coordinator"]
    seat = actions.do_add_member(
        actor=coordinator, team_id=teams.team_b.pk, cadre_id=cadre.pk, force="specialist", post="specialist"
    )
    assert Membership.objects.filter(
        user=cadre.user, role="deployed_cadre", division=teams.team_b.village
    ).exists()
    assert seat.deployment.host_id == teams.team_b.village_id
    actions.do_remove_member(actor=coordinator, member_id=seat.pk)
    assert not Membership.objects.filter(user=cadre.user, role="deployed_cadre").exists()
    other = teams.spare[1]
    do_create_deployment(
        actor=coordinator,
        cadre_id=other.pk,
        mode="enforcement",
        host_code=world.street_a.code,
        starts_on=actions.today(),
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.do_add_member(
            actor=coordinator,
            team_id=teams.team_b.pk,
            cadre_id=other.pk,
            force="specialist",
            post="specialist",
        )
    assert exc.value.fields == {"cadre": "already_deployed"}
