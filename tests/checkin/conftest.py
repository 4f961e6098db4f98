"""The persona world plus 双报到's people: a community committee in community A1 with its handler, a checked-in
organisation (the lead department) and members with accounts (a party member, a delivery rider)."""

from __future__ import annotations

import pytest

from shaobao.checkin import actions
from tests.conftest import make_user
from tests.factories import UnitFactory, UserFactory


@pytest.fixture
def ci(world):
    """Returns the world with `committee`, `org`, `member`, `rider` and users `committee_handler`,
    `member_user`, `rider_user` added."""
    committee = UnitFactory(
        code="A1-SQ", name="承平里社区居委会", kind="community_committee", division=world.community_a1
    )
    world.users["committee_handler"] = make_user(
        "committee_handler", "unit_handler", world.community_a1, committee
    )
    world.users["member_user"] = UserFactory(username="member_user", first_name="党员甲")
    world.users["rider_user"] = UserFactory(username="rider_user", first_name="骑手乙")
    dispatcher = world.users["dispatcher"]
    world.org = actions.do_check_in_organisation(
        actor=dispatcher,
        community_code=world.community_a1.code,
        unit_code=world.lead_unit.code,
        skills="法律咨询",
    )
    world.member = actions.do_check_in_member(
        actor=dispatcher,
        community_code=world.community_a1.code,
        name="李红梅",
        phone="13900001111",
        organisation_id=world.org.pk,
        skills="理发",
        username="member_user",
    )
    world.rider = actions.do_check_in_member(
        actor=dispatcher,
        community_code=world.community_a1.code,
        name="王小骑",
        phone="13900002222",
        kind="delivery_rider",
        employer="某外卖平台",
        username="rider_user",
    )
    world.committee = committee
    return world
