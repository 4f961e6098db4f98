"""Demo accounts: a handler for every demo unit, a dispatcher for every street, all in `demo_users --json`."""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from shaobao.core.errors import Forbidden, NotFound
from shaobao.demo.levels import CITY_DEPARTMENTS, MIYUN_DEPARTMENTS
from shaobao.demo.users import APP_USERNAMES, DEMO_PASSWORD, DEMO_USERS
from shaobao.duties.selectors import duty_list_in_force
from shaobao.intake import actions as intake
from shaobao.org.models import Division, Membership, Unit, User
from shaobao.org.scoping import scope_of
from shaobao.whistles import actions as wf
from shaobao.whistles.access import access_summons

# `demo`: loaded once for the module (tests/demo/conftest.py), on one xdist worker
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_demo_accounts")]

KEYS = {"username", "password", "role", "unit_code", "division_code"}


def demo_users(*args: str) -> str:
    out = StringIO()
    call_command("demo_users", *args, stdout=out)
    return out.getvalue()


def test_every_unit_has_one_handler_and_every_street_one_dispatcher(demo):
    listed = json.loads(demo_users("--json"))
    assert all(set(u) == KEYS and u["password"] == DEMO_PASSWORD for u in listed)
    by_name = {u["username"]: u for u in listed}
    assert len(by_name) == len(listed), "usernames are unique"
    assert {u.username for u in DEMO_USERS} <= set(by_name), "the role accounts are kept"

    units = list(Unit.objects.select_related("division"))
    assert len(units) == 476 + LEVELS_UNITS  # Pinggu's, and the demo city's departments (demo/levels.py)
    handlers = Membership.objects.filter(role="unit_handler", user__username__startswith="h-")
    assert sorted(handlers.values_list("unit_id", flat=True)) == sorted(u.pk for u in units)
    for unit in units:
        user = User.objects.get(username=f"h-{unit.code.lower()}")
        assert by_name[user.username] == {
            "username": user.username,
            "password": DEMO_PASSWORD,
            "role": "unit_handler",
            "unit_code": unit.code,
            "division_code": unit.division.code,
        }
        scope = scope_of(user)
        assert scope.roles == {"unit_handler"} and scope.unit_ids == {unit.pk}, unit.code

    streets = list(Division.objects.filter(parent=demo, level="street"))
    assert len(streets) == 18
    dispatchers = Membership.objects.filter(role="street_dispatcher", user__username__startswith="d-")
    assert sorted(dispatchers.values_list("division_id", flat=True)) == sorted(s.pk for s in streets)
    for street in streets:
        user = User.objects.get(username=f"d-{street.code}")
        assert by_name[user.username] == {
            "username": user.username,
            "password": DEMO_PASSWORD,
            "role": "street_dispatcher",
            "unit_code": None,
            "division_code": street.code,
        }
        scope = scope_of(user)
        assert scope.roles == {"street_dispatcher"} and scope.street_ids == {street.pk}, street.code

    # The role accounts, the apps' accounts (cadre, team member, checked-in member, rider, group lead), one
    # handler per unit and one dispatcher per street.
    assert len(listed) == len(DEMO_USERS) + len(APP_USERNAMES) + len(units) + len(streets)
    for u in listed:
        assert authenticate(username=u["username"], password=u["password"]), u["username"]


LEVELS_UNITS = len(CITY_DEPARTMENTS) + len(MIYUN_DEPARTMENTS)


def test_table_shows_the_role_accounts_and_counts_the_others(demo):
    table = demo_users("--table")
    assert all(u.username in table for u in DEMO_USERS)
    assert "h-cgzf" not in table and "d-110117001000" not in table
    assert (
        f"{476 + LEVELS_UNITS} unit handlers" in table
        and "18 street dispatchers" in table
        and "--all" in table
    )

    full = demo_users("--table", "--all")
    assert all(u["username"] in full for u in json.loads(demo_users("--json")))


def test_a_random_units_demo_handler_acts_on_its_summons(demo, client):
    """The dispatcher of a street whistles for a unit picked at random (one the street may summon); that
    unit's demo handler (and only he) can open the summons, report in and finish, and can log in."""
    rng = random.Random(13)
    streets = list(Division.objects.filter(parent=demo, level="street").order_by("code"))
    matter = duty_list_in_force(demo).matters.order_by("code").first()
    for kinds in (
        ("department", "stationed_office"),
        ("street_section", "enforcement_team"),
        ("community_committee",),
    ):
        pinggu_units = Unit.objects.filter(kind__in=kinds, division__code__startswith="110117")
        unit, other = rng.sample(list(pinggu_units.order_by("code")), 2)
        street = rng.choice(streets)
        # A street may summon only the units serving it (issue 15): the unit's own street, if it has one.
        street = next((st for st in streets if unit.division.code.startswith(st.prefix)), street)
        dispatcher = User.objects.get(username=f"d-{street.code}")
        demand = intake.do_receive_demand(
            actor=dispatcher,
            channel="hotline_12345",
            kind="complaint",
            subject="演示账号测试",
            body="楼道堆物",
            street_code=street.code,
        )
        whistle = wf.do_blow_whistle(
            actor=dispatcher,
            demand_ids=[demand.pk],
            type="routine",
            matter_code=matter.code,
            lead_unit_code=unit.code,
            supporting_unit_codes=[],
        )
        summons = whistle.summonses.get()
        assert summons.unit == unit

        handler = User.objects.get(username=f"h-{unit.code.lower()}")
        assert access_summons(handler, summons.pk) == summons
        with pytest.raises(NotFound):
            access_summons(User.objects.get(username=f"h-{other.code.lower()}"), summons.pk)
        with pytest.raises(Forbidden):
            wf.do_report_in(actor=dispatcher, summons_id=summons.pk)
        assert wf.do_report_in(actor=handler, summons_id=summons.pk).state == "reported_in"
        assert wf.do_finish(actor=handler, summons_id=summons.pk, note="已处理").state == "finished"

        assert client.login(username=handler.username, password=DEMO_PASSWORD), handler.username
        client.logout()


def test_loading_again_keeps_one_membership_per_account(demo):
    before = Membership.objects.count()
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert Membership.objects.count() == before
    for username in ("h-cgzf", "h-110117001-cjk", "h-110117001002-wh", "d-110117001000", "handler"):
        assert User.objects.get(username=username).memberships.count() == 1, username
    User.objects.filter(username="h-cgzf").update(password="!", first_name="x")
    call_command("load_demo", "--if-empty", "--no-month", stdout=StringIO())
    assert User.objects.get(username="h-cgzf").first_name == "x", "--if-empty writes nothing"
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert authenticate(username="h-cgzf", password=DEMO_PASSWORD)
