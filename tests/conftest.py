"""Persona fixtures: a small district with two streets, units and one user per role.

district 110117 ─ street A (110117001) ─ community A1 (with a grid)
                └ street B (110117002) ─ community B1
units: lead department, supporting department, street A's section, an outsider department elsewhere
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import (
    DivisionFactory,
    DomainFactory,
    DutyListFactory,
    GridFactory,
    MatterFactory,
    MembershipFactory,
    UnitFactory,
    UserFactory,
    square,
)


@dataclass
class World:
    district: object
    street_a: object
    street_b: object
    community_a1: object
    community_b1: object
    grid_a1: object
    lead_unit: object
    supporting_unit: object
    section_a: object
    other_district: object
    outsider_unit: object
    duty_list: object
    matter: object
    users: dict


def make_user(username, role, division, unit=None):
    user = UserFactory(username=username, first_name=username)
    MembershipFactory(user=user, role=role, division=division, unit=unit)
    return user


@pytest.fixture(autouse=True)
def _fresh_place_index():
    """The place index is a per-process memo rechecked every few seconds; each test's database is new, so
    start each test without the previous one's index (its ids belong to a rolled-back database)."""
    from shaobao.org import places

    places.clear_cache()


@pytest.fixture(autouse=True)
def _no_entered_holidays(monkeypatch):
    """Each test's database starts without holiday plan days (core.CalendarDay), so the calendar starts
    with none read, without a query (tests without database access use it too); a test that enters days
    makes it read them again (the model's signals)."""
    import time

    from shaobao.core import calendar

    monkeypatch.setattr(calendar, "_entered", (time.monotonic(), {}))


@pytest.fixture
def world(db) -> World:
    city = DivisionFactory(code="110100000000", name="北京市", level="city")
    district = DivisionFactory(code="110117000000", name="平谷区", level="district", parent=city)
    street_a = DivisionFactory(code="110117001000", name="滨河街道", level="street", parent=district)
    street_b = DivisionFactory(code="110117002000", name="兴谷街道", level="street", parent=district)
    community_a1 = DivisionFactory(code="110117001001", name="承平里社区", level="community", parent=street_a)
    community_b1 = DivisionFactory(code="110117002001", name="兴谷社区", level="community", parent=street_b)
    grid_a1 = GridFactory(
        code="G-A1-01", name="承平里1号网格", community=community_a1, geometry=square(117.10, 40.14)
    )
    other_district = DivisionFactory(code="110105000000", name="朝阳区", level="district", parent=city)
    lead = UnitFactory(code="CGZF", name="区城管执法局", kind="department", division=district)
    supporting = UnitFactory(code="ZJW", name="区住房和城乡建设委员会", kind="department", division=district)
    section = UnitFactory(code="BH-CG", name="滨河街道城管科", kind="street_section", division=street_a)
    outsider_unit = UnitFactory(code="CY-CG", name="朝阳区城管委", kind="department", division=other_district)
    duty_list = DutyListFactory(district=district, name="平谷区街乡吹哨事项清单", version=1)
    domain = DomainFactory(code="CSGL", name="城市管理")
    matter = MatterFactory(
        duty_list=duty_list,
        code="CG-001",
        name="违法建设",
        domain=domain,
        lead_unit=lead,
        keywords=["违建", "私搭乱建"],
        time_limit=7,
        time_limit_unit="working_days",
    )
    matter.supporting_units.add(supporting)
    duty_list.status = "published"
    duty_list.save()
    users = {
        "dispatcher": make_user("dispatcher", "street_dispatcher", street_a),
        "street_leader": make_user("street_leader", "street_leader", street_a),
        "grid_worker": make_user("grid_worker", "grid_worker", street_a),
        "dispatcher_b": make_user("dispatcher_b", "street_dispatcher", street_b),
        "lead_handler": make_user("lead_handler", "unit_handler", district, lead),
        "lead_leader": make_user("lead_leader", "unit_leader", district, lead),
        "supporting_handler": make_user("supporting_handler", "unit_handler", district, supporting),
        "section_handler": make_user("section_handler", "unit_handler", street_a, section),
        "coordinator": make_user("coordinator", "district_coordinator", district),
        "admin": make_user("admin", "administrator", district),
        "resident": make_user("resident", "resident", community_a1),
        "outsider": make_user("outsider", "unit_handler", other_district, outsider_unit),
        "nobody": UserFactory(username="nobody"),
    }
    return World(
        district,
        street_a,
        street_b,
        community_a1,
        community_b1,
        grid_a1,
        lead,
        supporting,
        section,
        other_district,
        outsider_unit,
        duty_list,
        matter,
        users,
    )
