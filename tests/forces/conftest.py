"""Forces fixtures on top of the persona world: cadres of the lead unit and of the reserve pool, one with
an account deployed to street A."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from shaobao.forces import actions
from shaobao.forces.models import Cadre, VillagePost
from tests.api.conftest import api_as  # noqa: F401 - the API client fixture, for test_api
from tests.conftest import make_user
from tests.factories import UserFactory


@dataclass
class Forces:
    today: dt.date
    cadre: Cadre  # of the lead unit, with an account, deployed to street A
    deployment: object
    cadre_b: Cadre  # of the lead unit, with an account, deployed to street B
    deployment_b: object
    reserve: Cadre  # reserve pool, not deployed
    idle: Cadre  # of the lead unit, not deployed
    post: VillagePost
    users: dict


@pytest.fixture
def forces(world) -> Forces:
    return make_forces(world)


def make_forces(world) -> Forces:
    today = timezone.localdate()
    u = world.users
    u["unit_leader_lead"] = u["lead_leader"]
    cadre_user = UserFactory(username="cadre", first_name="下沉干部")
    cadre_b_user = UserFactory(username="cadre_b", first_name="下沉干部乙")
    cadre = Cadre.objects.create(name="周文", user=cadre_user, unit=world.lead_unit, district=world.district)
    cadre_b = Cadre.objects.create(
        name="吴强", user=cadre_b_user, unit=world.lead_unit, district=world.district
    )
    reserve = Cadre.objects.create(
        name="郑红", district=world.district, in_reserve=True, skills="法律,调解,规划"
    )
    idle = Cadre.objects.create(name="冯刚", unit=world.lead_unit, district=world.district, skills="消防")
    post = VillagePost.objects.create(village=world.community_a1, title="村党支部副书记")
    start = today - dt.timedelta(days=40)
    deployment = actions.do_create_deployment(
        actor=u["coordinator"],
        cadre_id=cadre.pk,
        mode="enforcement",
        host_code=world.street_a.code,
        starts_on=start,
        post="执法队员",
    )
    deployment_b = actions.do_create_deployment(
        actor=u["coordinator"],
        cadre_id=cadre_b.pk,
        mode="department_service",
        host_code=world.street_b.code,
        starts_on=start,
    )
    users = {**u, "cadre": cadre_user, "cadre_b": cadre_b_user}
    users["dispatcher_b"] = u["dispatcher_b"]
    users["plain_cadre"] = make_user("plain_cadre", "deployed_cadre", world.street_a)
    return Forces(today, cadre, deployment, cadre_b, deployment_b, reserve, idle, post, users)
