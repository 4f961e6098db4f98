"""A city with two districts on one database, on top of the persona world.

city 110100 (北京市) ─ district 110117 平谷区 (the world: streets A and B, units CGZF, ZJW, BH-CG)
                    └ district 110118 密云区 ─ street M (110118001) ─ community M1
city departments: CITY-ZJW (市住房城乡建设委); Miyun's department MY-CG (密云区城管委), MY-SW (密云区水务局)
users: city coordinator (also a district coordinator in both districts), Miyun's coordinator, Miyun's
dispatcher, handlers of MY-CG and CITY-ZJW, and a unit handler serving both counties (two memberships).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from shaobao.api.actions import do_issue_token
from tests.conftest import make_user
from tests.factories import DivisionFactory, MembershipFactory, UnitFactory, UserFactory


@dataclass
class City:
    world: object
    city: object
    miyun: object
    street_m: object
    community_m1: object
    my_cg: object
    my_sw: object
    city_zjw: object
    users: dict


@pytest.fixture
def city(world) -> City:
    beijing = world.district.parent
    miyun = DivisionFactory(code="110118000000", name="密云区", level="district", parent=beijing)
    street_m = DivisionFactory(code="110118001000", name="鼓楼街道", level="street", parent=miyun)
    community_m1 = DivisionFactory(code="110118001001", name="鼓楼社区", level="community", parent=street_m)
    my_cg = UnitFactory(code="MY-CG", name="密云区城管委", kind="department", division=miyun)
    my_sw = UnitFactory(code="MY-SW", name="密云区水务局", kind="department", division=miyun)
    city_zjw = UnitFactory(code="CITY-ZJW", name="市住房城乡建设委", kind="city_department", division=beijing)
    city_coordinator = make_user("city_coordinator", "city_coordinator", beijing)
    MembershipFactory(user=city_coordinator, role="district_coordinator", division=world.district)
    MembershipFactory(user=city_coordinator, role="district_coordinator", division=miyun)
    two_counties = make_user("two_counties", "unit_handler", world.district, world.lead_unit)
    MembershipFactory(user=two_counties, role="unit_handler", division=miyun, unit=my_cg)
    users = {
        "city_coordinator": city_coordinator,
        "two_counties": two_counties,
        "miyun_coordinator": make_user("miyun_coordinator", "district_coordinator", miyun),
        "miyun_dispatcher": make_user("miyun_dispatcher", "street_dispatcher", street_m),
        "my_cg_handler": make_user("my_cg_handler", "unit_handler", miyun, my_cg),
        "city_zjw_handler": make_user("city_zjw_handler", "unit_handler", beijing, city_zjw),
        "only_city": make_user("only_city", "city_coordinator", beijing),
    }
    world.users.update(users)
    return City(world, beijing, miyun, street_m, community_m1, my_cg, my_sw, city_zjw, world.users)


class ApiClient:
    def __init__(self, token: str):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, data=None, **headers):
        return self.client.get(path, data or {}, headers={**self.headers, **headers})

    def post(self, path: str, body=None, **headers):
        return self.client.post(
            path, body if body is not None else {}, content_type="application/json",
            headers={**self.headers, **headers},
        )  # fmt: skip


@pytest.fixture
def api_for(world):
    cache: dict[str, ApiClient] = {}

    def make(persona: str) -> ApiClient:
        if persona not in cache:
            _, raw = do_issue_token(user=world.users[persona], name=f"test-{persona}")
            cache[persona] = ApiClient(raw)
        return cache[persona]

    return make


@pytest.fixture
def web_for(world):
    def make(persona: str) -> Client:
        client = Client()
        client.force_login(world.users[persona])
        return client

    return make


def fresh(user):
    """The same user as a new object (no cached scope), as the next request would load it."""
    from shaobao.org.models import User

    return User.objects.get(pk=user.pk)


__all__ = ["UserFactory"]
