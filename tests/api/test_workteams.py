"""/api/v1/work-teams: list (paginated, filtered, scoped), create with members, nested measures, reviews
and visits; bad input → 400 naming the field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shaobao.api.actions import do_issue_token
from shaobao.forces.models import Deployment
from shaobao.workteams.actions import today
from shaobao.workteams.models import HouseholdVisit, Measure, TeamReview, WorkTeam, WorkTeamMember
from tests.api.conftest import ApiClient, assert_error
from tests.workteams.conftest import FIVE, make_teams

pytestmark = pytest.mark.django_db
URL = "/api/v1/work-teams"


@pytest.fixture
def teams(world):
    return make_teams(world)


def member_api(teams, user=None):
    _, raw = do_issue_token(user=user or teams.member, name="t")
    return ApiClient(raw)


def body(world, cadres, shape=FIVE, **kw):
    return {
        "village": world.community_b1.code,
        "kind": "election_difficulty",
        "members": [{"cadre": c.pk, "force": f, "post": p} for c, (f, p) in zip(cadres, shape, strict=False)],
        **kw,
    }


def counts():
    return WorkTeam.objects.count(), WorkTeamMember.objects.count(), Deployment.objects.count()


def test_coordinator_creates_a_team_with_members(world, teams, api_as):
    r = api_as("coordinator").post(URL, body(world, teams.spare[:5], name="兴谷社区第二工作队"))
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["kind"] == "election_difficulty" and len(data["members"]) == 5
    assert (
        data["village"]["code"] == world.community_b1.code and data["street"]["code"] == world.street_b.code
    )
    assert data["visits"] == [] and data["review_overdue"] is False
    assert Deployment.objects.filter(cadre__in=teams.spare[:5], host=world.community_b1).count() == 5


@pytest.mark.parametrize(
    "change, field",
    [
        ({"kind": "poor_village"}, "kind"),
        ({"members": "few"}, "members"),
        ({"village": "110117002"}, "village"),  # a street, not a village
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, teams, api_as, change, field):
    before = counts()
    r = api_as("coordinator").post(URL, {**body(world, teams.spare[:5]), **change})
    err = assert_error(r, 400)
    assert field in err["fields"], err
    assert counts() == before


@pytest.mark.parametrize("n", [3, 6])
def test_wrong_team_size_is_400_on_members(world, teams, api_as, n):
    extra = [teams.cadres[0]] if n == 6 else []  # the sixth would also be taken; the size is checked first
    before = counts()
    r = api_as("coordinator").post(URL, body(world, [*teams.spare[:5], *extra][:n], (FIVE * 2)[:n]))
    err = assert_error(r, 400, "team_size")
    assert "members" in err["fields"]
    assert counts() == before


def test_unknown_force_and_taken_cadre_name_the_member(world, teams, api_as):
    b = body(world, teams.spare[:4], [FIVE[0], FIVE[1], FIVE[3], FIVE[4]])
    b["members"][2]["force"] = "army"
    err = assert_error(api_as("coordinator").post(URL, b), 400)
    assert any(k.startswith("members.2") for k in err["fields"]), err
    b = body(world, [teams.cadres[6], *teams.spare[:3]], [FIVE[0], FIVE[1], FIVE[3], FIVE[4]])
    err = assert_error(api_as("coordinator").post(URL, b), 400)
    assert "members.0.cadre" in err["fields"]
    assert WorkTeam.objects.count() == 2


def test_only_the_district_creates(world, teams, api_as):
    assert_error(api_as("dispatcher_b").post(URL, body(world, teams.spare[:5])), 403)
    assert_error(member_api(teams).post(URL, body(world, teams.spare[:5])), 403)
    assert WorkTeam.objects.count() == 2


def test_list_is_scoped_paginated_and_filtered(world, teams, api_as):
    WorkTeam.objects.filter(pk=teams.team_b.pk).update(created_at=timezone.now() - dt.timedelta(days=15))
    coordinator = api_as("coordinator")

    def ids(client, **params):
        r = client.get(URL, params)
        assert r.status_code == 200, r.content
        return {t["id"] for t in r.json()["results"]}

    a, b = teams.team_a.pk, teams.team_b.pk
    assert ids(coordinator) == {a, b}
    assert ids(api_as("dispatcher")) == {a}
    assert ids(member_api(teams, teams.member_b)) == {b}
    assert ids(api_as("supporting_handler")) == set()
    assert ids(coordinator, street=world.street_a.code[:9]) == {a}
    assert ids(coordinator, host=world.community_b1.code) == {b}
    assert ids(coordinator, host=world.street_a.code) == {a}  # a street: the teams in its villages
    assert ids(coordinator, host="999999999999") == set()
    assert ids(coordinator, unit=world.lead_unit.code) == {a}  # team A's first three came from the unit
    assert ids(coordinator, unit="reserve") == {a, b}
    assert ids(coordinator, kind="weak_and_lax") == {a}
    assert ids(coordinator, overdue="true") == {b}
    assert ids(coordinator, to=(today() - dt.timedelta(days=1)).isoformat()) == set()
    assert ids(coordinator, **{"from": today().isoformat()}) == {a, b}
    page = coordinator.get(URL, {"page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    assert "kind" in assert_error(coordinator.get(URL, {"kind": "poor"}), 400)["fields"]
    err = assert_error(coordinator.get(URL, {"from": "2026-03-01", "to": "2026-02-01"}), 400)
    assert err["fields"] == {"to": "before_from"}  # a stable code, as on the other lists
    assert_error(api_as("resident").get(URL), 403)


def test_kinds_are_stable_codes_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    text = str(schema["components"]["schemas"]["WorkTeamIn"])
    for code in (
        "weak_and_lax",
        "governance_difficulty",
        "election_difficulty",
        "lagging_development",
        "low_income_concentration",
    ):
        assert code in text


def test_plan_review_and_visit_through_the_api(world, teams, api_as):
    team = teams.team_a.pk
    member = member_api(teams)
    owner = teams.team_a.members.get(post="first_secretary").pk
    r = member.post(f"{URL}/{team}/measures", {"title": "发展林果产业", "owner": owner, "working_days": 15})
    assert r.status_code == 201, r.content
    measure = r.json()["id"]
    err = assert_error(
        member.post(f"{URL}/{team}/measures", {"title": "x", "owner": owner, "working_days": 0}), 400
    )
    assert "working_days" in err["fields"]
    assert member.post(f"{URL}/{team}/measures/{measure}/state", {"state": "done"}).json()["state"] == "done"
    assert_error(member.post(f"{URL}/{team}/measures/{measure}/state", {"state": "planned"}), 409)
    assert (
        "state"
        in assert_error(member.post(f"{URL}/{team}/measures/{measure}/state", {"state": "x"}), 400)["fields"]
    )

    assert_error(member.post(f"{URL}/{team}/reviews", {"progress": "x"}), 403)
    r = api_as("coordinator").post(f"{URL}/{team}/reviews", {"progress": "进展顺利", "problems": "无"})
    assert r.status_code == 201 and TeamReview.objects.count() == 1

    r = member.post(f"{URL}/{team}/visits", {"household": "周家", "visited_on": today().isoformat()})
    assert r.status_code == 201
    future = (today() + dt.timedelta(days=2)).isoformat()
    assert (
        "visited_on"
        in assert_error(
            member.post(f"{URL}/{team}/visits", {"household": "周家", "visited_on": future}), 400
        )["fields"]
    )
    assert_error(
        api_as("dispatcher").post(
            f"{URL}/{team}/visits", {"household": "x", "visited_on": today().isoformat()}
        ),
        403,
    )
    assert HouseholdVisit.objects.count() == 1 and Measure.objects.count() == 1

    # Visits: the street sees them; the unit whose cadres sit on the team sees the team but not the visits.
    assert [v["household"] for v in api_as("dispatcher").get(f"{URL}/{team}").json()["visits"]] == ["周家"]
    unit_view = api_as("lead_leader").get(f"{URL}/{team}").json()
    assert unit_view["visits"] is None and len(unit_view["measures"]) == 1
    assert_error(member_api(teams, teams.member_b).get(f"{URL}/{team}"), 404)


def test_a_retried_create_with_the_same_key_answers_the_first_team(world, teams, api_as):
    api = api_as("coordinator")
    before = WorkTeam.objects.count()
    b = body(world, teams.spare[:5], name="兴谷社区第二工作队")
    first = api.post(URL, b, **{"Idempotency-Key": "t-1"})
    assert first.status_code == 201
    again = api.post(URL, b, **{"Idempotency-Key": "t-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert WorkTeam.objects.count() == before + 1


def test_the_district_adds_and_lets_members_go_through_the_api(world, teams, api_as):
    api = api_as("coordinator")
    team = teams.team_b  # four members
    cadre = teams.spare[0]
    r = api.post(f"{URL}/{team.pk}/members", {"cadre": cadre.pk, "force": "specialist", "post": "specialist"})
    assert r.status_code == 201 and r.json()["cadre"] == cadre.pk
    seat = WorkTeamMember.objects.get(pk=r.json()["id"])
    assert seat.deployment.host_id == team.village_id and seat.deployment.ends_on is None
    sixth = api.post(
        f"{URL}/{team.pk}/members", {"cadre": teams.spare[1].pk, "force": "specialist", "post": "specialist"}
    )
    assert "members" in assert_error(sixth, 400)["fields"]
    wrong = api.post(
        f"{URL}/{team.pk}/members", {"cadre": teams.spare[1].pk, "force": "resident", "post": "x"}
    )
    assert assert_error(wrong, 400)
    gone = api.post(f"{URL}/{team.pk}/members/{seat.pk}/leave")
    assert gone.status_code == 200 and gone.json()["left_on"] == today().isoformat()
    assert_error(api.post(f"{URL}/{team.pk}/members/{seat.pk}/leave"), 409)
    leader = team.members.get(post="team_leader", left_on__isnull=True)
    assert "members" in assert_error(api.post(f"{URL}/{team.pk}/members/{leader.pk}/leave"), 400)["fields"]
    assert_error(api_as("dispatcher_b").post(f"{URL}/{team.pk}/members/{leader.pk}/leave"), 403)
    assert_error(api.post(f"{URL}/{team.pk}/members/999999/leave"), 404)
