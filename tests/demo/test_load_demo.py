"""load_demo: Pinggu with real divisions, sample grids, units, a published duty list and demo logins."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.conf import settings
from django.core.management import call_command
from shapely.geometry import shape

from shaobao.demo.fixtures.matters import DOMAINS
from shaobao.demo.users import APP_USERNAMES, DEMO_USERS
from shaobao.duties.models import DutyList, MatterOverride
from shaobao.duties.selectors import rule_for
from shaobao.org import geo
from shaobao.org.models import Division, Grid, Unit, User
from shaobao.org.scoping import scope_of

# `demo`: loaded once for the module (tests/demo/conftest.py), on one xdist worker
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_load_demo")]

TAXONOMY = Path(settings.BASE_DIR).parent / "shared" / "data" / "messages" / "taxonomy.csv"


def test_pinggu_divisions_units_and_grids(demo):
    streets = Division.objects.filter(parent=demo, level="street")
    assert streets.count() == 18
    communities = Division.objects.filter(parent__in=streets, level="community")
    assert communities.count() == 323

    departments = Unit.objects.filter(division=demo)
    assert departments.count() >= 35
    names = set(Unit.objects.values_list("name", flat=True))
    for name in ["区城市管理委员会", "区城管执法局", "区生态环境局", "区公安分局", "区消防救援支队"]:
        assert name in names
    assert Unit.objects.filter(kind="stationed_office", parent__code="GAFJ").count() >= 5
    for street in streets:
        kinds = set(street.units.values_list("kind", flat=True))
        assert {"street_section", "enforcement_team"} <= kinds, street.name
    assert Unit.objects.filter(kind="community_committee").count() == 323
    assert Unit.objects.get(code="110117001002-WH").name == "平粮社区居委会"

    grids = list(Grid.objects.select_related("community"))
    assert len(grids) >= 3 * 323 and all(g.is_sample for g in grids)
    assert {g.community_id for g in grids} == set(communities.values_list("pk", flat=True))
    shapes = [shape(g.geometry) for g in grids]
    assert all(s.is_valid for s in shapes)
    tree = shapely.STRtree(shapes)
    for i, s in enumerate(shapes):
        for j in tree.query(s):
            assert j == i or s.intersection(shapes[j]).area == 0, (grids[i].code, grids[j].code)
    union = shapely.union_all(shapes)
    centre = union.centroid
    assert abs(centre.x - 117.12) < 0.1 and abs(centre.y - 40.14) < 0.1


def test_locate_places_a_point_in_its_demo_grid(demo):
    grid = Grid.objects.get(code="110117001002-01")
    point = shape(grid.geometry).representative_point()
    found = geo.locate(point.y, point.x)
    assert found == grid and found.community.parent.name == "滨河街道"


def test_published_duty_list_covers_the_taxonomy(demo):
    duty_list = DutyList.objects.in_force(demo)
    assert duty_list is not None and duty_list.status == "published"
    matters = list(
        duty_list.matters.select_related("lead_unit", "domain").prefetch_related("supporting_units")
    )
    assert len(matters) >= 60
    for m in matters:
        assert m.lead_unit_id and m.description, m.code
        assert 6 <= len(m.keywords) <= 15, m.code
        assert m.lead_unit not in m.supporting_units.all(), m.code
    domains = {m.domain.name for m in matters}
    assert domains == {name for _, name in DOMAINS}
    assert sum(1 for m in matters if m.supporting_units.all()) >= 40
    assert {m.time_limit_unit for m in matters} == {"hours", "working_days"}
    assert any(m.street_may_handle for m in matters) and any(m.default_urgency == "critical" for m in matters)


@pytest.mark.skipif(not TAXONOMY.parent.parent.is_dir(), reason="../shared/data is absent (fresh clone)")
def test_domains_are_the_first_level_classes_of_the_real_taxonomy(demo):
    with TAXONOMY.open(encoding="utf-8") as f:
        first_level = {row["level1"] for row in csv.DictReader(f)}
    duty_list = DutyList.objects.in_force(demo)
    assert set(duty_list.matters.values_list("domain__name", flat=True)) == first_level


def test_street_overrides_apply(demo):
    assert MatterOverride.objects.count() >= 2
    duty_list = DutyList.objects.in_force(demo)
    vending = duty_list.matters.get(code="CJ-002")
    binhe = Division.objects.get(code="110117001000")
    rule = rule_for(vending, binhe)
    assert rule.lead_unit.name == "滨河街道综合执法队" and rule.time_limit == 1
    assert rule_for(vending, Division.objects.get(code="110117002000")).lead_unit.code == "CGZF"


def test_demo_users_json_and_logins(demo, client):
    out = StringIO()
    call_command("demo_users", "--json", stdout=out)
    listed = json.loads(out.getvalue())
    assert all(set(u) == {"username", "password", "role", "unit_code", "division_code"} for u in listed)
    role_accounts = {"resident", "gridworker", "dispatcher", "streetleader", "handler", "unitleader"}
    role_accounts |= {"coordinator", "admin"}
    users = [u for u in listed if u["username"] in role_accounts]
    roles = [u["role"] for u in users]
    assert sorted(roles) == sorted(
        [
            "resident",
            "grid_worker",
            "street_dispatcher",
            "street_leader",
            "unit_handler",
            "unit_leader",
            "district_coordinator",
            "administrator",
        ]
    )
    for u in users:
        assert client.login(username=u["username"], password=u["password"]), u["username"]
        user = User.objects.get(username=u["username"])
        assert scope_of(user).roles == {u["role"]}
        membership = user.memberships.get()
        assert membership.division.code == u["division_code"]
        assert (membership.unit.code if membership.unit else None) == u["unit_code"]
        client.logout()
    street_users = [u for u in users if u["role"] in {"grid_worker", "street_dispatcher", "street_leader"}]
    assert {Division.objects.get(code=u["division_code"]).level for u in street_users} == {"street"}
    admin = User.objects.get(username=next(u["username"] for u in users if u["role"] == "administrator"))
    assert admin.is_staff and admin.is_superuser

    table = StringIO()
    call_command("demo_users", "--table", stdout=table)
    assert all(u["username"] in table.getvalue() for u in users) and "shaobao-demo" in table.getvalue()
    # The eight role accounts and the apps' own (deployed cadre, work-team member, checked-in member, rider,
    # group lead, the demo city's coordinators),
    # not every generated handler and dispatcher.
    assert table.getvalue().count("shaobao-demo") == len(DEMO_USERS) + len(APP_USERNAMES), (
        "the table lists the role accounts, not all 502"
    )
    for username, role in (
        ("cadre", "deployed_cadre"),
        ("teammember", "deployed_cadre"),
        ("member", "checkin_member"),
        ("rider", "checkin_member"),
    ):
        line = next(line for line in table.getvalue().splitlines() if line.split()[0] == username)
        assert f"({role})" in line
        assert client.login(username=username, password="shaobao-demo"), username


def test_load_demo_twice_and_if_empty(demo):
    counts = (Division.objects.count(), Unit.objects.count(), Grid.objects.count(), DutyList.objects.count())
    out = StringIO()
    call_command("load_demo", "--if-empty", "--no-month", stdout=out)
    assert "not loaded" in out.getvalue()
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert (
        Division.objects.count(),
        Unit.objects.count(),
        Grid.objects.count(),
        DutyList.objects.count(),
    ) == counts
    assert User.objects.filter(username="dispatcher").get().memberships.count() == 1
