"""Work-team personas on top of the persona world: ten cadres of the district, a team of five in
community A1 (street A) whose leader has an account (role deployed_cadre), a second team in B1."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shaobao.forces.models import Cadre
from shaobao.workteams import actions
from shaobao.workteams.actions import MemberSpec
from tests.conftest import make_user

FIVE = [
    ("leadership", "team_leader"),
    ("resident", "first_secretary"),
    ("resident", "selected_graduate"),
    ("resident", "village_official"),
    ("specialist", "specialist"),
]
FOUR = [FIVE[0], FIVE[1], FIVE[3], FIVE[4]]


def specs(cadres, shape=FIVE) -> list[MemberSpec]:
    return [MemberSpec(c.pk, force, post) for c, (force, post) in zip(cadres, shape, strict=False)]


@dataclass
class Teams:
    cadres: list
    team_a: object
    team_b: object
    member: object  # user of team A's leader
    member_b: object  # user of team B's leader
    spare: list  # cadres on no team


@pytest.fixture
def teams(world) -> Teams:
    return make_teams(world)


def make_teams(world) -> Teams:
    cadres = [
        Cadre.objects.create(
            name=f"干部{i:02d}", district=world.district, unit=world.lead_unit if i < 3 else None
        )
        for i in range(16)
    ]
    member = make_user("member", "deployed_cadre", world.community_a1)
    member_b = make_user("member_b", "deployed_cadre", world.community_b1)
    cadres[0].user = member
    cadres[0].save()
    cadres[5].user = member_b
    cadres[5].save()
    coordinator = world.users["coordinator"]
    team_a = actions.do_create_team(
        actor=coordinator,
        village_code=world.community_a1.code,
        kind="weak_and_lax",
        members=specs(cadres[:5]),
    )
    team_b = actions.do_create_team(
        actor=coordinator,
        village_code=world.community_b1.code,
        kind="lagging_development",
        members=specs(cadres[5:9], FOUR),
    )
    return Teams(cadres, team_a, team_b, member, member_b, cadres[9:])
