"""The demand's placement (source, confidence, candidates) in the staff API, not in Open311's public reads."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.intake.test_placement_words import hotline, town  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("town")
def test_api_detail_shows_placement_and_open311_does_not(world, api_as):
    d = hotline(world, body="新平北路上有人占道经营")
    answer = api_as("coordinator").get(f"/api/v1/demands/{d.pk}").json()
    assert answer["placement_source"] == "" and answer["placement_confidence"] == 0.0
    assert {c["street_code"] for c in answer["placement_candidates"]} == {
        world.street_a.code,
        world.street_b.code,
    }
    placed = hotline(world, address="渔阳镇韩庄村", body="路灯坏了")
    answer = api_as("coordinator").get(f"/api/v1/demands/{placed.pk}").json()
    assert answer["placement_source"] == "address" and answer["placement_candidates"] == []
    public = Client().get(f"/open311/v2/requests/{d.tracking_code}.json")
    assert public.status_code == 200
    assert "placement" not in json.dumps(public.json())
