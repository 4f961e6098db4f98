"""The work-team pages: who sees which team, who may review, record visits and move measures; filters,
the report and its export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone

from shaobao.workteams import actions
from shaobao.workteams.models import HouseholdVisit, Measure, TeamReview, WorkTeam

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def test_residents_and_users_without_a_role_get_403_and_visitors_the_login(client, world, teams):
    assert client.get("/work-teams/").status_code == 302
    for name in ("resident", "nobody"):
        client.force_login(world.users[name])
        assert client.get("/work-teams/").status_code == 403
        assert client.get(f"/work-teams/{teams.team_a.pk}/").status_code == 403


@pytest.mark.parametrize(
    "who, sees_a, sees_b",
    [
        ("coordinator", True, True),
        ("dispatcher", True, False),
        ("grid_worker", True, False),
        ("dispatcher_b", False, True),
        ("lead_leader", True, False),  # its cadres sit on team A
        ("supporting_handler", False, False),
        ("outsider", False, False),
    ],
)
def test_who_sees_which_team(client, world, teams, who, sees_a, sees_b):
    client.force_login(world.users[who])
    page = client.get("/work-teams/").content.decode()
    assert (teams.team_a.name in page) is sees_a
    assert (teams.team_b.name in page) is sees_b
    assert client.get(f"/work-teams/{teams.team_a.pk}/").status_code == (200 if sees_a else 404)


def test_member_sees_own_team_only(client, world, teams):
    client.force_login(teams.member)
    page = client.get("/work-teams/").content.decode()
    assert teams.team_a.name in page and teams.team_b.name not in page
    assert client.get(f"/work-teams/{teams.team_b.pk}/").status_code == 404


def test_visits_shown_to_street_and_team_not_to_the_unit(client, world, teams):
    actions.do_record_visit(
        actor=teams.member,
        team_id=teams.team_a.pk,
        household="李家老宅",
        address="承平里9号",
        visited_on=actions.today(),
        notes="",
    )
    for user in (world.users["dispatcher"], world.users["coordinator"], teams.member):
        client.force_login(user)
        assert "李家老宅" in client.get(f"/work-teams/{teams.team_a.pk}/").content.decode()
    client.force_login(world.users["lead_leader"])
    page = client.get(f"/work-teams/{teams.team_a.pk}/").content.decode()
    assert "李家老宅" not in page and 'id="visits"' not in page
    export = client.get("/work-teams/export.xlsx")
    assert export.status_code == 200 and "李家老宅".encode() not in export.content


def test_coordinator_records_a_review_with_confirmation(client, world, teams):
    client.force_login(world.users["coordinator"])
    url = f"/work-teams/{teams.team_a.pk}/reviews/"
    r = client.post(url, {"progress": "村两委班子已调整"})
    assert r.status_code == 400 and not TeamReview.objects.exists()
    r = client.post(url, {"progress": "村两委班子已调整", "problems": "资金未到位", "confirm": "on"})
    assert r.status_code == 302
    team = WorkTeam.objects.get(pk=teams.team_a.pk)
    assert team.last_reviewed_at is not None and team.reviews.get().problems == "资金未到位"


def test_street_and_member_cannot_record_a_review(client, world, teams):
    for user in (world.users["dispatcher"], teams.member):
        client.force_login(user)
        r = client.post(f"/work-teams/{teams.team_a.pk}/reviews/", {"progress": "x", "confirm": "on"})
        assert r.status_code == 403
    assert not TeamReview.objects.exists()
    client.force_login(world.users["dispatcher"])
    assert 'id="review-form"' not in client.get(f"/work-teams/{teams.team_a.pk}/").content.decode()


def test_member_records_a_visit_and_moves_a_measure(client, world, teams):
    client.force_login(teams.member)
    owner = teams.team_a.members.get(post="first_secretary")
    r = client.post(
        f"/work-teams/{teams.team_a.pk}/measures/",
        {"title": "建立村集体合作社", "owner": owner.pk, "working_days": 20},
    )
    assert r.status_code == 302
    m = Measure.objects.get()
    r = client.post(f"/work-teams/{teams.team_a.pk}/measures/{m.pk}/state/", {"state": "in_progress"})
    assert r.status_code == 302 and Measure.objects.get().state == "in_progress"
    r = client.post(
        f"/work-teams/{teams.team_a.pk}/visits/",
        {"household": "张家", "address": "3排", "visited_on": actions.today().isoformat(), "notes": "走访"},
    )
    assert r.status_code == 302 and HouseholdVisit.objects.get().member.cadre.user == teams.member
    # The street may look but not act for the team.
    client.force_login(world.users["dispatcher"])
    r = client.post(
        f"/work-teams/{teams.team_a.pk}/visits/",
        {"household": "赵家", "visited_on": actions.today().isoformat()},
    )
    assert r.status_code == 403 and HouseholdVisit.objects.count() == 1


def test_filters_and_search(client, world, teams):
    WorkTeam.objects.filter(pk=teams.team_b.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    client.force_login(world.users["coordinator"])

    def names(query):
        page = client.get("/work-teams/?" + query).content.decode()
        return {t.name for t in (teams.team_a, teams.team_b) if t.name in page}

    assert names(f"street={world.street_a.code}") == {teams.team_a.name}
    assert names("kind=lagging_development") == {teams.team_b.name}
    assert names("overdue=on") == {teams.team_b.name}
    assert names("q=" + world.community_a1.name[:3]) == {teams.team_a.name}
    assert names("q=干部07") == {teams.team_b.name}


def test_reports_and_export(client, world, teams):
    from openpyxl import load_workbook

    client.force_login(world.users["coordinator"])
    assert client.get("/work-teams/reports/").status_code == 200
    wb = load_workbook(BytesIO(client.get("/work-teams/export.xlsx").content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {teams.team_a.name, teams.team_b.name}
    kinds = {r[1]: r[2] for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert (
        kinds["weak_and_lax"] == 1 and kinds["lagging_development"] == 1 and kinds["election_difficulty"] == 0
    )


def test_withdraw_asks_for_confirmation(client, world, teams):
    client.force_login(world.users["coordinator"])
    url = f"/work-teams/{teams.team_b.pk}/close/"
    assert client.post(url, {}).status_code == 400
    assert WorkTeam.objects.get(pk=teams.team_b.pk).is_active
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert not WorkTeam.objects.get(pk=teams.team_b.pk).is_active


# --- sending a team and changing its members ---------------------------------------------------------


def _team_post(world, cadres, posts, **kw):
    data = {"village": world.community_b1.code, "kind": "weak_and_lax", "starts_on": str(actions.today())}
    for i, (cadre, post) in enumerate(zip(cadres, posts, strict=True), start=1):
        data[f"cadre_{i}"] = str(cadre.pk)
        data[f"post_{i}"] = post
    return {**data, **kw}


def test_only_the_district_opens_the_team_form(client, world, teams):
    for user in (world.users["dispatcher"], teams.member, world.users["lead_handler"]):
        client.force_login(user)
        assert client.get("/work-teams/new/").status_code == 403
    client.force_login(world.users["coordinator"])
    page = client.get("/work-teams/")
    assert b'id="new-team"' in page.content
    form = client.get("/work-teams/new/")
    assert form.status_code == 200
    assert str(teams.spare[0].pk) in form.content.decode()  # free cadres are offered
    assert f'value="{teams.cadres[0].pk}"' not in form.content.decode()  # a cadre on a team is not


@pytest.mark.parametrize(
    ("language", "size_error", "forces_error"),
    [
        ("en", "A village work team has 4 to 5 active members (3 given)", "missing: specialist force"),
        ("zh-hans", "驻村工作队须有 4–5 名在岗队员（现为 3 名）", "缺少：专业力量"),
    ],
)
def test_the_size_and_the_three_forces_are_form_errors(
    client, world, teams, language, size_error, forces_error
):
    client.force_login(world.users["coordinator"])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    three = _team_post(world, teams.spare[:3], ["team_leader", "first_secretary", "specialist"])
    r = client.post("/work-teams/new/", three, **headers)
    assert r.status_code == 400 and size_error in r.content.decode()
    no_specialist = _team_post(
        world, teams.spare[:4], ["team_leader", "first_secretary", "selected_graduate", "village_official"]
    )
    r = client.post("/work-teams/new/", no_specialist, **headers)
    assert r.status_code == 400 and forces_error in r.content.decode()
    assert WorkTeam.objects.count() == 2  # the fixture's two: nothing written


def test_the_coordinator_sends_a_team_from_the_form(client, world, teams):
    client.force_login(world.users["coordinator"])
    posts = ["team_leader", "first_secretary", "village_official", "specialist"]
    r = client.post("/work-teams/new/", _team_post(world, teams.spare[:4], posts, name="兴谷第二工作队"))
    assert r.status_code == 302
    team = WorkTeam.objects.get(name="兴谷第二工作队")
    assert r["Location"] == f"/work-teams/{team.pk}/"
    assert sorted(team.members.values_list("cadre_id", flat=True)) == sorted(c.pk for c in teams.spare[:4])


def test_the_coordinator_changes_members_on_the_team_page(client, world, teams):
    client.force_login(world.users["coordinator"])
    team = teams.team_b
    url = f"/work-teams/{team.pk}/"
    assert b'id="add-member"' in client.get(url).content
    r = client.post(f"{url}members/", {"cadre": teams.spare[0].pk, "post": "specialist"})
    assert r.status_code == 302 and team.members.filter(left_on__isnull=True).count() == 5
    r = client.post(
        f"{url}members/", {"cadre": teams.spare[1].pk, "post": "specialist"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400 and "(6 given)" in r.content.decode()
    seat = team.members.get(cadre=teams.spare[0])
    r = client.post(f"{url}members/leave/", {"member": seat.pk})  # no confirmation
    assert r.status_code == 400 and team.members.filter(left_on__isnull=True).count() == 5
    r = client.post(f"{url}members/leave/", {"member": seat.pk, "confirm": "on"})
    assert r.status_code == 302 and team.members.get(pk=seat.pk).left_on is not None
    leader = team.members.get(post="team_leader")
    r = client.post(f"{url}members/leave/", {"member": leader.pk, "confirm": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "(3 given)" in r.content.decode()  # add the replacement first
    client.force_login(world.users["dispatcher_b"])
    assert b'id="add-member"' not in client.get(url).content
    assert (
        client.post(f"{url}members/", {"cadre": teams.spare[1].pk, "post": "specialist"}).status_code == 403
    )


def test_the_visit_form_offers_today_in_chinese(client, teams):
    """A date input drops a value written the zh way (2026/12/05): the visit's day comes as 2026-12-05, so a
    member on a phone records today's visit without picking the date."""
    client.force_login(teams.member)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/work-teams/{teams.team_a.pk}/").content.decode()
    assert f'name="visited_on" value="{actions.today().isoformat()}"' in html
