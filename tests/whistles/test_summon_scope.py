"""Who a street may summon: the district's units and its own, never another street's sections (403),
in the action, so the web form, the API and arbitration all refuse it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.core.errors import Forbidden
from shaobao.intake.actions import do_receive_demand
from shaobao.intake.models import Demand
from shaobao.whistles.actions import do_arbitrate, do_blow_whistle, do_dispute
from shaobao.whistles.models import Summons, Whistle
from tests.api.conftest import api_as, assert_error  # noqa: F401 - the API persona fixture
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_section(world):
    """Street B's own section: not street A's to summon."""
    return UnitFactory(code="XG-CG", name="兴谷街道城管科", kind="street_section", division=world.street_b)


@pytest.fixture
def stationed_a(world):
    return UnitFactory(code="PCS-BH", name="滨河派出所", kind="stationed_office", division=world.street_a)


def _demand(world):
    return do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="楼顶违建",
        body="楼顶违建",
        street_code=world.street_a.code,
    )


def _blow(world, demand, **kw):
    return do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001", **kw
    )


def test_another_streets_section_cannot_lead(world, other_section):
    demand = _demand(world)
    with pytest.raises(Forbidden):
        _blow(world, demand, lead_unit_code=other_section.code)
    with pytest.raises(Forbidden):
        _blow(world, demand, supporting_unit_codes=[other_section.code])
    assert not Whistle.objects.exists()
    assert not Summons.objects.filter(unit=other_section).exists()


def test_district_units_own_sections_and_stationed_offices_may_be_summoned(world, stationed_a):
    whistle = _blow(
        world,
        _demand(world),
        lead_unit_code=world.section_a.code,
        supporting_unit_codes=[world.supporting_unit.code, stationed_a.code],
    )
    assert {s.unit.code for s in whistle.summonses.all()} == {"BH-CG", "ZJW", "PCS-BH"}


def test_api_refuses_another_streets_section_with_403(world, api_as, other_section):  # noqa: F811
    demand = _demand(world)
    answer = api_as("dispatcher").post(
        "/api/v1/whistles",
        {"demands": [demand.pk], "type": "routine", "matter": "CG-001", "lead_unit": other_section.code},
    )
    assert_error(answer, 403, "forbidden")
    assert not Summons.objects.filter(unit=other_section).exists()
    # the street's own section may lead, and then sees the demand
    ok = api_as("dispatcher").post(
        "/api/v1/whistles",
        {"demands": [demand.pk], "type": "routine", "matter": "CG-001", "lead_unit": world.section_a.code},
    )
    assert ok.status_code == 201, ok.content
    assert Demand.objects.visible_to(world.users["section_handler"]).filter(pk=demand.pk).exists()


def test_web_form_refuses_another_streets_section_with_403(client, world, other_section):
    demand = _demand(world)
    client.force_login(world.users["dispatcher"])
    answer = client.post(
        reverse("whistles:blow"),
        {
            "from_demand": demand.pk,
            "demand_ids": [demand.pk],
            "type": "routine",
            "matter_code": "CG-001",
            "lead_unit_code": other_section.code,
        },
    )
    assert answer.status_code in (400, 403)  # the form's choices already leave it out
    assert not Whistle.objects.exists()


def test_arbitration_cannot_hand_the_lead_to_another_streets_section(world, other_section):
    whistle = _blow(world, _demand(world))
    lead = whistle.summonses.get(role="lead")
    do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="不是我们的")
    with pytest.raises(Forbidden):
        do_arbitrate(
            actor=world.users["coordinator"],
            summons_id=lead.pk,
            decision="uphold",
            reassign_to=other_section.code,
        )
    lead.refresh_from_db()
    assert lead.state == "disputed"


def test_unit_search_offers_only_what_the_street_may_summon(client, world, other_section):
    whistle = _blow(world, _demand(world))
    client.force_login(world.users["coordinator"])
    url = reverse("whistles:unit_search")
    html = client.get(url, {"whistle": whistle.pk, "q": "城管"}).content.decode()
    assert "滨河街道城管科" in html and "区城管执法局" in html
    assert "兴谷街道城管科" not in html and "朝阳区城管委" not in html
    html = client.get(url, {"whistle": whistle.pk, "q": "ZJW"}).content.decode()
    assert 'value="ZJW ' in html
