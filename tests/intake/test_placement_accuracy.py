"""The labelled hotline set (bench/data/placement_hotline.csv) placed by the real intake path: at least 95 % of
the placeable texts in the right street, none in a wrong one, the ambiguous ones asked, never guessed.
Not a timed test: bench/bench_placement_text.py measures the figures for docs/benchmarks.md."""

from __future__ import annotations

import pytest

from bench.bench_placement_text import evaluate, read_rows
from shaobao.demo.loader import DEMO_DISTRICT_CODE, _load_gazetteer
from shaobao.intake.placement import place_demand
from shaobao.org.divisions import import_district
from shaobao.org.models import Division

pytestmark = pytest.mark.django_db


def test_the_labelled_hotline_set_is_placed_at_street_level():
    district = import_district(DEMO_DISTRICT_CODE).district
    streets = list(Division.objects.filter(parent=district, level="street"))
    _load_gazetteer(streets, list(Division.objects.filter(parent__in=streets, level="community")))

    def place(address: str, text: str):
        p = place_demand(lat=None, lng=None, street=None, address=address, text=text)
        names = [c["street_name"] for c in p.candidates]
        return (p.street.name if p.street else "", p.community.name if p.community else "", names)

    rows = read_rows()
    assert len(rows) >= 300
    figures = evaluate(rows, place)
    assert figures["street_accuracy"] >= 0.95, figures["mistakes"]
    assert figures["wrong_street"] == 0, figures["mistakes"]
    assert figures["guessed_unplaceable"] == 0, figures["mistakes"]
    ambiguous = figures["by_category"]["ambiguous"]
    assert ambiguous["ambiguous_with_candidates"] >= 0.75 * ambiguous["rows"]
