"""Duty-list fixtures on top of the shared `world`."""

from __future__ import annotations

import pytest

from tests.factories import UnitFactory


@pytest.fixture
def duty_world(world):
    """`world` plus street B's section and an inactive unit, for overrides and unit checks."""
    world.section_b = UnitFactory(
        code="XG-CG", name="兴谷街道城管科", kind="street_section", division=world.street_b
    )
    world.inactive_unit = UnitFactory(code="OLD", name="已撤销单位", division=world.district, is_active=False)
    return world
