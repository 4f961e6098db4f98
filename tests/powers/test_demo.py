"""The demo's list of delegated powers: 431 powers in the categories, acting on routing for the demo street."""

from __future__ import annotations

import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from shaobao.org.models import Division
from shaobao.powers.models import DelegatedPower, Recommendation, StationedStaff
from shaobao.routing import registry
from shaobao.routing.services import propose

pytestmark = pytest.mark.django_db


def test_demo_loads_431_powers_that_act_on_routing(db):
    registry.clear_cache()
    started = time.monotonic()
    call_command("load_demo", "--no-month", stdout=StringIO())
    print(f"load_demo --no-month: {time.monotonic() - started:.1f} s")
    district = Division.objects.get(code="110117000000")
    powers = DelegatedPower.objects.filter(district=district)
    assert powers.count() == 431
    categories = Counter(powers.values_list("category", flat=True))
    assert set(categories) == {"penalty", "inspection", "enforcement_measure", "licensing", "other"}
    assert categories["penalty"] > categories["inspection"] > categories["licensing"]
    assert powers.filter(status="withdrawn").count() == 1
    assert all(p.legal_basis for p in powers)
    assert len(set(powers.values_list("name", flat=True))) == 431
    street = Division.objects.get(code="110117001000")
    assert street.powers_received.count() == 431
    assert StationedStaff.objects.filter(street=street).exists()
    # one answered by the demo unit's leader, one waiting for that unit, one for another department
    recs = Recommendation.objects.filter(street=street)
    assert recs.filter(state="accepted", answered_by__username="unitleader").count() == 1
    assert recs.filter(state="filed", department__code="CGZF").count() == 1
    assert recs.filter(state="filed").exclude(department__code="CGZF").count() == 1
    proposal = propose(body="小区楼顶有人私搭乱建彩钢房", district=district, street=street)
    assert proposal.matter.code == "CJ-001"
    assert proposal.self_handling is not None and proposal.self_handling.power_code.startswith("CF")
    assert proposal.lead_unit.code == "110117001-ZFD"
    # a second load keeps the list as it is
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert DelegatedPower.objects.count() == 431
    registry.clear_cache()
