"""Grids and households on top of the persona world:

street A ─ community A1 ─ grid A1 (grid_worker, full-time) and grid A2 (grid_worker_a2, part-time)
street B ─ community B1 ─ grid B1 (grid_worker_b)
households: 6 in grid A1 (5 of them in group 「一组」, lead household 0, lead account `lead_a`), 2 in grid A2, 3 in B1.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shaobao.households import actions
from shaobao.platform.actions import do_send_broadcast
from tests.conftest import make_user
from tests.factories import GridFactory, UserFactory, square


@dataclass
class Homes:
    grid_a2: object
    grid_b1: object
    a1: list
    a2: list
    b1: list
    group: object
    workers: dict


def household(actor, grid, n, persons=3):
    return actions.do_register_household(
        actor=actor,
        grid_code=grid.code,
        address=f"{grid.name}{n}号院",
        head_name=f"住户{grid.code[-2:]}{n}",
        head_phone=f"1000000{n:04d}",
        persons=persons,
    )


@pytest.fixture
def homes(world) -> Homes:
    u = world.users
    grid_a2 = GridFactory(
        code="G-A1-02", name="承平里2号网格", community=world.community_a1, geometry=square(117.12, 40.14)
    )
    grid_b1 = GridFactory(
        code="G-B1-01", name="兴谷1号网格", community=world.community_b1, geometry=square(117.14, 40.14)
    )
    u["grid_worker_a2"] = make_user("grid_worker_a2", "grid_worker", world.street_a)
    u["grid_worker_b"] = make_user("grid_worker_b", "grid_worker", world.street_b)
    u["lead_a"] = UserFactory(username="lead_a")
    workers = {
        "a1": actions.do_attach_worker(
            actor=u["dispatcher"], username="grid_worker", grid_code=world.grid_a1.code
        ),
        "a2": actions.do_attach_worker(
            actor=u["dispatcher"], username="grid_worker_a2", grid_code=grid_a2.code, kind="part_time"
        ),
        "b1": actions.do_attach_worker(
            actor=u["dispatcher_b"], username="grid_worker_b", grid_code=grid_b1.code
        ),
    }
    for user in u.values():  # scopes are cached per user object
        user.__dict__.pop("_households_reach", None)
    a1 = [household(u["dispatcher"], world.grid_a1, n, persons=n + 1) for n in range(6)]
    a2 = [household(u["grid_worker_a2"], grid_a2, n) for n in range(2)]
    b1 = [household(u["dispatcher_b"], grid_b1, n) for n in range(3)]
    group = actions.do_form_group(
        actor=u["grid_worker"],
        grid_code=world.grid_a1.code,
        name="一组",
        household_ids=[h.pk for h in a1[:5]],
        lead_id=a1[0].pk,
        lead_username="lead_a",
    )
    for user in u.values():
        user.__dict__.pop("_households_reach", None)
        user.__dict__.pop("_shaobao_seats", None)
        user.__dict__.pop("_shaobao_scope", None)
    return Homes(grid_a2, grid_b1, a1, a2, b1, group, workers)


def fresh(user):
    """The same user without the per-request caches (as on the next request)."""
    for key in ("_households_reach", "_shaobao_seats", "_shaobao_scope"):
        user.__dict__.pop(key, None)
    return user


def send_down(world, streets=None, **kw):
    params = {"title": "暴雨红色预警", "body": "请立即通知低洼地带住户转移。", "level": "red"}
    params.update(kw)
    return do_send_broadcast(
        actor=world.users["coordinator"],
        district=world.district,
        streets=[world.street_a] if streets is None else streets,
        options={"households": True},
        **params,
    )
