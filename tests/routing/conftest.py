"""Routing fixtures: a duty list with several matters and keywords, demands, the real message data."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.utils import timezone

from shaobao.duties.models import DutyList, MatterOverride
from shaobao.routing import duplicates, places, registry
from tests.factories import DomainFactory, DutyListFactory, MatterFactory, UnitFactory

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "messages"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")

MATTERS = [
    # code, domain (code, name), name, description, keywords, lead is "lead" or "supporting"
    (
        "CG-001",
        ("CXJS", "城乡建设"),
        "违法建设",
        "私搭乱建、楼顶加层",
        ["违建", "私搭乱建", "违章建筑", "加盖"],
    ),
    ("CG-002", ("CXJS", "城乡建设"), "占道经营", "流动摊贩、店外经营", ["摆摊", "占道经营", "小摊贩"]),
    (
        "HJ-001",
        ("HJBH", "环境保护"),
        "噪声扰民",
        "施工、商业、广场舞噪声",
        ["噪音", "噪声", "扰民", "广场舞"],
    ),
    (
        "JT-001",
        ("JTYS", "交通运输"),
        "乱停车",
        "机动车乱停乱放、占用消防通道",
        ["乱停车", "违停", "占用车位"],
    ),
    ("SB-001", ("LDSB", "劳动和社会保障"), "拖欠工资", "拖欠农民工工资", ["拖欠工资", "欠薪", "讨薪"]),
]

_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_caches():
    registry.clear_cache()
    places.clear_cache()
    duplicates.clear_cache()
    yield
    registry.clear_cache()
    places.clear_cache()
    duplicates.clear_cache()


@pytest.fixture
def duty_list(world):
    """Version 2 of the world's duty list, in force, with the matters above."""
    dl = DutyListFactory(district=world.district, name="平谷区街乡吹哨事项清单", version=2)
    for code, (dcode, dname), name, desc, keywords in MATTERS:
        m = MatterFactory(
            duty_list=dl,
            code=code,
            name=name,
            description=desc,
            keywords=keywords,
            domain=DomainFactory(code=dcode, name=dname),
            lead_unit=world.lead_unit,
        )
        m.supporting_units.add(world.supporting_unit)
        if code == "CG-001":  # street A's own rule: its section leads, with the police station
            police = UnitFactory(code="PCS", name="派出所", kind="stationed_office", division=world.street_a)
            override = MatterOverride.objects.create(
                matter=m, street=world.street_a, lead_unit=world.section_a
            )
            override.supporting_units.add(police)
    DutyList.objects.filter(pk=world.duty_list.pk).update(status="retired")  # one published per district
    dl.status = "published"
    dl.save()
    return dl


def make_demand(world, *, subject, body="", street=None, state="received", matter=None, days_ago=0, **kw):
    from shaobao.intake.models import Demand

    return Demand.objects.create(
        tracking_code=f"T{next(_codes):08d}",
        channel="hotline_12345",
        subject=subject,
        body=body,
        street=street if street is not None else world.street_a,
        state=state,
        matter=matter,
        received_at=timezone.now() - timezone.timedelta(days=days_ago),
        **kw,
    )
