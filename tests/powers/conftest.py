"""Powers fixtures: the persona world with street A's enforcement team, a stationed office and one power."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.powers.actions import do_create_power
from shaobao.routing import duplicates, places, registry
from tests.conftest import make_user
from tests.factories import UnitFactory


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
def team_a(world):
    """Street A's comprehensive enforcement team (综合执法队), its handler, and street B's team."""
    team = UnitFactory(
        code="BH-ZFD", name="滨河街道综合执法队", kind="enforcement_team", division=world.street_a
    )
    UnitFactory(code="XG-ZFD", name="兴谷街道综合执法队", kind="enforcement_team", division=world.street_b)
    world.users["team_handler"] = make_user("team_handler", "unit_handler", world.street_a, team)
    world.users["street_leader_b"] = make_user("street_leader_b", "street_leader", world.street_b)
    return team


def power_data(world, **kw) -> dict:
    data = {
        "code": "CF-0001",
        "name": "对违法建设的行政处罚",
        "category": "penalty",
        "legal_basis": "《北京市城乡规划条例》第六十八条",
        "department": world.lead_unit.code,
        "streets": [world.street_a.code],
        "effective_date": dt.date(2019, 7, 1),
        "matters": [world.matter.code],
    }
    data.update(kw)
    return data


@pytest.fixture
def power(world, team_a):
    return do_create_power(actor=world.users["coordinator"], district=world.district, **power_data(world))


@pytest.fixture
def login(client, world):
    def as_(role: str):
        client.force_login(world.users[role])
        return client

    return as_


def xlsx(rows: list[list], header: list[str] | None = None) -> bytes:
    """An .xlsx file with the powers layout's header (or `header`) and `rows`."""
    import io

    from openpyxl import Workbook

    from shaobao.core.xlsx import append_row
    from shaobao.powers.io import COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.title = "powers"
    ws.append(header or [c.header for c in COLUMNS])
    for row in rows:
        append_row(ws, row)  # formula-like text stays text, as a careful user's file would hold it
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
