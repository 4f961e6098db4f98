"""The demo's village work teams: Pinggu-sized (80 teams, 393 cadres), real-looking overdue figures, and a
member login that sees its own team."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from shaobao.forces.models import Deployment
from shaobao.org.models import User
from shaobao.workteams import selectors
from shaobao.workteams.models import VillageKind, WorkTeam, WorkTeamMember

pytestmark = pytest.mark.django_db


def test_demo_work_teams(client):
    call_command("load_demo", "--no-month", stdout=StringIO())
    teams = WorkTeam.objects.all()
    assert teams.count() == 80
    seats = WorkTeamMember.objects.filter(left_on__isnull=True)
    assert seats.values("cadre").distinct().count() == 393
    sizes = Counter(seats.values_list("team_id", flat=True))
    assert set(sizes.values()) <= {4, 5}
    for team_id in sizes:
        assert set(seats.filter(team_id=team_id).values_list("force", flat=True)) == {
            "leadership",
            "resident",
            "specialist",
        }
    assert set(teams.values_list("kind", flat=True)) == set(VillageKind.values)
    assert set(Deployment.objects.filter(work_team_seats__isnull=False).values_list("mode", flat=True)) == {
        "village_household",
        "village_post",
    }
    assert all(t.village.level == "community" and t.village.parent_id == t.street_id for t in teams)

    coordinator = User.objects.get(username="coordinator")
    panel = selectors.board_panel(coordinator)
    assert 0 < panel["teams_overdue_count"] < 80
    assert panel["measures_overdue_count"] > 0
    figures = selectors.report(coordinator)
    assert figures["totals"]["visits"] > 0 and figures["cadence"]["reviews"] > 80

    member = User.objects.get(username="teammember")
    assert (
        list(selectors.teams_for(member)) == list(selectors.my_teams(member))
        and selectors.my_teams(member).count() == 1
    )
    client.force_login(member)
    team = selectors.my_teams(member).get()
    assert client.get(f"/work-teams/{team.pk}/").status_code == 200

    call_command("load_demo", "--no-month", stdout=StringIO())  # a second load adds nothing
    assert WorkTeam.objects.count() == 80 and WorkTeamMember.objects.count() == 393
