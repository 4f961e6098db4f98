"""Grid workers, micro-grids, households and joint-defence groups: who may write, and what is refused (400
naming the field, nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.households import actions, selectors
from shaobao.households.models import GridWorker, Household, HouseholdGroup, MicroGrid
from shaobao.intake.models import Demand
from shaobao.org.models import Membership
from tests.conftest import make_user
from tests.households.conftest import fresh
from tests.intake.flow import demand_in, new_demand

pytestmark = pytest.mark.django_db


def fields(exc) -> dict:
    return exc.value.fields


def test_attach_a_grid_worker(world, homes):
    u = world.users
    other = make_user("gw2", "grid_worker", world.street_a)
    worker = actions.do_attach_worker(
        actor=u["street_leader"], username="gw2", grid_code=homes.grid_a2.code, kind="part_time"
    )
    assert (worker.street, worker.kind, worker.is_active, worker.user) == (
        world.street_a,
        "part_time",
        True,
        other,
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.do_attach_worker(actor=u["street_leader"], username="gw2", grid_code=homes.grid_a2.code)
    assert fields(exc) == {"username": "already_attached"}
    # A grid worker of street B cannot be attached to a grid of street A.
    with pytest.raises(ValidationFailed) as exc:
        actions.do_attach_worker(
            actor=u["dispatcher"], username="grid_worker_b", grid_code=world.grid_a1.code
        )
    assert fields(exc) == {"username": "not_a_grid_worker_of_this_street"}
    # Street B's dispatcher does not see street A's grids at all.
    with pytest.raises(ValidationFailed) as exc:
        actions.do_attach_worker(actor=u["dispatcher_b"], username="gw2", grid_code=world.grid_a1.code)
    assert fields(exc) == {"grid": "unknown"}
    with pytest.raises(ValidationFailed) as exc:
        actions.do_attach_worker(
            actor=u["dispatcher"], username="gw2", grid_code=world.grid_a1.code, kind="x"
        )
    assert fields(exc) == {"kind": "unknown"}
    # A grid worker sees the grids but does not attach anyone.
    with pytest.raises(Forbidden):
        actions.do_attach_worker(actor=u["grid_worker"], username="gw2", grid_code=world.grid_a1.code)
    assert GridWorker.objects.filter(user=other).count() == 1


def test_detach_and_reattach(world, homes):
    u = world.users
    w = actions.do_detach_worker(actor=u["dispatcher"], worker_id=homes.workers["a2"].pk)
    assert not w.is_active
    with pytest.raises(Conflict):
        actions.do_detach_worker(actor=fresh(u["dispatcher"]), worker_id=w.pk)
    with pytest.raises(Exception) as exc:
        actions.do_detach_worker(actor=u["dispatcher_b"], worker_id=w.pk)
    assert exc.value.status == 404
    again = actions.do_attach_worker(
        actor=u["dispatcher"], username="grid_worker_a2", grid_code=homes.grid_a2.code
    )
    assert again.pk == w.pk and again.is_active and again.kind == "full_time"


def test_micro_grids(world, homes):
    m = actions.do_add_micro_grid(
        actor=world.users["dispatcher"], grid_code=world.grid_a1.code, code="G-A1-01-1", name="1号楼"
    )
    assert m.grid == world.grid_a1
    with pytest.raises(ValidationFailed) as exc:
        actions.do_add_micro_grid(
            actor=world.users["dispatcher"], grid_code=world.grid_a1.code, code="G-A1-01-1", name="x"
        )
    assert fields(exc) == {"code": "taken"}
    with pytest.raises(Forbidden):
        actions.do_add_micro_grid(
            actor=world.users["grid_worker"], grid_code=world.grid_a1.code, code="M2", name="y"
        )
    h = actions.do_register_household(
        actor=world.users["grid_worker"],
        grid_code=world.grid_a1.code,
        micro_grid_code="G-A1-01-1",
        address="1号楼101",
        head_name="王五",
        head_phone="10012345678",
        persons=2,
    )
    assert h.micro_grid == m and MicroGrid.objects.count() == 1


def test_register_household_rules(world, homes):
    u = world.users
    before = Household.objects.count()
    with pytest.raises(Forbidden):  # another grid of the same street
        actions.do_register_household(
            actor=u["grid_worker"],
            grid_code=homes.grid_a2.code,
            address="x",
            head_name="y",
            head_phone="10012345678",
        )
    with pytest.raises(ValidationFailed) as exc:
        actions.do_register_household(
            actor=u["grid_worker"],
            grid_code=world.grid_a1.code,
            address="",
            head_name="王五",
            head_phone="abc",
            persons=0,
        )
    assert fields(exc) == {"address": "required", "head_phone": "invalid", "persons": "out_of_range"}
    with pytest.raises(ValidationFailed) as exc:
        actions.do_register_household(
            actor=u["dispatcher_b"],
            grid_code=world.grid_a1.code,
            address="x",
            head_name="y",
            head_phone="10012345678",
        )
    assert fields(exc) == {"grid": "unknown"}
    with pytest.raises(Forbidden):  # the district sees counts only and does not register
        actions.do_register_household(
            actor=u["coordinator"],
            grid_code=world.grid_a1.code,
            address="x",
            head_name="y",
            head_phone="10012345678",
        )
    assert Household.objects.count() == before


def test_joint_defence_groups(world, homes):
    u = world.users
    group = homes.group
    assert group.lead == homes.a1[0] and group.lead_user == u["lead_a"] and group.street == world.street_a
    assert set(group.households.values_list("pk", flat=True)) == {h.pk for h in homes.a1[:5]}
    # The lead's account got the resident role in the grid's community.
    assert Membership.objects.filter(user=u["lead_a"], role="resident", division=world.community_a1).exists()
    cases = [
        ({"household_ids": [homes.a1[5].pk], "lead_id": homes.a1[5].pk}, {"households": "between_2_and_10"}),
        (
            {"household_ids": [homes.a1[4].pk, homes.a1[5].pk], "lead_id": homes.a1[5].pk},
            {"households": "already_grouped"},
        ),
        (
            {"household_ids": [homes.a1[5].pk, homes.a2[0].pk], "lead_id": homes.a1[5].pk},
            {"households": "unknown_or_other_grid"},
        ),
        (
            {"household_ids": [homes.a1[5].pk, homes.b1[0].pk], "lead_id": homes.a1[5].pk},
            {"households": "unknown_or_other_grid"},
        ),
        (
            {"household_ids": [homes.a1[5].pk, homes.a1[4].pk], "lead_id": homes.a2[0].pk},
            {"households": "already_grouped", "lead": "not_in_group"},
        ),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ValidationFailed) as exc:
            actions.do_form_group(actor=u["dispatcher"], grid_code=world.grid_a1.code, name="二组", **kwargs)
        assert fields(exc) == expected, kwargs
    assert HouseholdGroup.objects.count() == 1


def test_grid_worker_figures(world, homes):
    u = world.users
    new_demand(world)  # by grid_worker (grid A1): received, not yet handled
    handled = demand_in(world, "handled")  # another report by grid_worker, handled by the street
    late = demand_in(world, "handled")  # a third, handled after its due time
    new_demand(world, actor=u["dispatcher"], channel="hotline_12345")  # not a patrol report
    Demand.objects.filter(pk=handled.pk).update(due_at=handled.handled_at + dt.timedelta(hours=1))
    Demand.objects.filter(pk=late.pk).update(due_at=late.handled_at - dt.timedelta(hours=1))
    workers = list(selectors.workers_for(u["dispatcher"]))
    assert {w.user.username for w in workers} == {"grid_worker", "grid_worker_a2"}
    today = timezone.localdate()
    figures = selectors.worker_figures(workers, today - dt.timedelta(days=7), today)
    mine = figures[homes.workers["a1"].pk]
    assert (mine["reports"], mine["done"], mine["due"], mine["on_time"], mine["rate"]) == (3, 2, 2, 1, 50.0)
    assert figures[homes.workers["a2"].pk]["reports"] == 0
    grids = selectors.grid_figures(
        list(selectors.grids_for(u["coordinator"])), today - dt.timedelta(days=7), today
    )
    assert grids[world.grid_a1.pk]["reports"] == 3 and grids[world.grid_a1.pk]["households"] == 6
    assert grids[homes.grid_b1.pk]["reports"] == 0 and grids[homes.grid_b1.pk]["households"] == 3
    # Street B sees only its own workers and grids.
    assert {w.user.username for w in selectors.workers_for(u["dispatcher_b"])} == {"grid_worker_b"}
    assert {g.code for g in selectors.grids_for(u["dispatcher_b"])} == {homes.grid_b1.code}
