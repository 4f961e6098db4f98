"""The board's forces-view panel: teams overdue for review and measures overdue, scoped by the user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from shaobao.workteams import actions, selectors
from shaobao.workteams.models import WorkTeam

pytestmark = pytest.mark.django_db


def test_panel_lists_overdue_teams_and_measures_in_the_users_scope(world, teams):
    now = timezone.now()
    WorkTeam.objects.update(created_at=now - dt.timedelta(days=40))
    actions.do_record_review(actor=world.users["coordinator"], team_id=teams.team_b.pk, progress="ok")
    owner = teams.team_a.members.get(post="specialist")
    late = actions.do_add_measure(
        actor=teams.member,
        team_id=teams.team_a.pk,
        title="建设村级冷库",
        owner_id=owner.pk,
        working_days=5,
        now=now - dt.timedelta(days=30),
    )
    actions.do_add_measure(
        actor=teams.member, team_id=teams.team_a.pk, title="新建文化广场", owner_id=owner.pk, working_days=30
    )

    panel = selectors.board_panel(world.users["coordinator"], now)
    assert [t.pk for t in panel["teams_overdue"]] == [teams.team_a.pk]
    assert panel["teams_overdue"][0].days_since_review == 40
    assert [m.pk for m in panel["measures_overdue"]] == [late.pk] and panel["measures_overdue_count"] == 1
    assert panel["measures_overdue"][0].working_days_late >= 10
    html = render_to_string("workteams/_board_panel.html", {"panel": panel})
    assert teams.team_a.name in html and "建设村级冷库" in html and "新建文化广场" not in html

    street_b = selectors.board_panel(world.users["dispatcher_b"], now)
    assert street_b["teams_overdue_count"] == 0 and street_b["measures_overdue_count"] == 0
    assert selectors.board_panel(world.users["resident"], now)["active_teams"] == 0
