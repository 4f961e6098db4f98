"""`lat`/`long` in reads: coarsened to a cell of about OPEN311_COARSEN_METRES (100 m) for the public and for
tokens without a staff role; exact for staff tokens that may see the demand; in both formats."""

from __future__ import annotations

import math

import pytest
from django.test import Client

from shaobao.api.open311.selectors import coarsen
from tests.intake.flow import new_demand
from tests.open311.conftest import both

pytestmark = pytest.mark.django_db

POINT = (40.14523, 117.10561)


def metres(a, b) -> float:
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def located(world):
    return new_demand(world, lat=POINT[0], lng=POINT[1], street_code=None)


def test_public_read_is_coarsened_to_about_100_m(world):
    demand = located(world)
    [shown] = both(f"requests/{demand.tracking_code}", "service_requests")
    shown_point = (shown["lat"], shown["long"])
    assert shown_point != POINT
    assert metres(shown_point, POINT) < 100  # within the cell: the neighbourhood is right
    neighbour = (POINT[0] + 0.00002, POINT[1] + 0.00002)  # 3 m away: same cell, same answer
    assert coarsen(*neighbour) == shown_point


def test_every_point_of_a_cell_reads_the_same(settings):
    settings.OPEN311_COARSEN_METRES = 100
    cells = {
        coarsen(40.145 + i * 0.00001, 117.105 + j * 0.00001)
        for i in range(0, 100, 7)
        for j in range(0, 100, 7)
    }
    # ~110 m × 85 m of points fall in at most 2 × 2 cells of 100 m
    assert 1 <= len(cells) <= 4
    for cell in cells:
        assert metres(cell, (40.1455, 117.1055)) < 150


def test_the_cell_size_is_a_setting(world, settings):
    demand = located(world)
    settings.OPEN311_COARSEN_METRES = 1000
    [shown] = Client().get(f"/open311/v2/requests/{demand.tracking_code}.json").json()
    assert metres((shown["lat"], shown["long"]), POINT) < 1000
    assert (shown["lat"], shown["long"]) == coarsen(*POINT, 1000)


def test_staff_token_reads_the_exact_point(world, api_key):
    demand = located(world)
    url = f"/open311/v2/requests/{demand.tracking_code}.json"
    [staff] = Client().get(url, {"api_key": api_key("dispatcher")}).json()
    assert (staff["lat"], staff["long"]) == POINT
    [listed] = Client().get("/open311/v2/requests.json", {"api_key": api_key("dispatcher")}).json()
    assert (listed["lat"], listed["long"]) == POINT
    # a resident's token, and staff of another street who may not see this demand: coarsened
    for persona in ("resident", "dispatcher_b"):
        [other] = Client().get(url, {"api_key": api_key(persona)}).json()
        assert (other["lat"], other["long"]) == coarsen(*POINT), persona


def test_a_bad_api_key_on_a_read_is_403(world):
    demand = located(world)
    response = Client().get(f"/open311/v2/requests/{demand.tracking_code}.json", {"api_key": "sb_nope"})
    assert response.status_code == 403


def test_no_point_reads_empty(world):
    demand = new_demand(world)
    [shown] = both(f"requests/{demand.tracking_code}", "service_requests")
    assert shown["lat"] is None and shown["long"] is None
