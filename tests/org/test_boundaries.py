"""The district's boundaries for maps without a tile server: grids as drawn, communities and streets as the
union of their grids, recomputed when a grid changes."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from tests.factories import GridFactory, square

pytestmark = pytest.mark.django_db


def features(client, **params):
    response = client.get("/org/boundaries.geojson", params)
    assert response.status_code == 200
    data = response.json()
    return data, {(f["properties"]["level"], f["properties"]["code"]): f for f in data["features"]}


def test_streets_and_communities_are_the_union_of_their_grids(client, world):
    # A second grid of the same community, touching the first on its east edge.
    GridFactory(
        code="G-A1-02",
        name="承平里2号网格",
        community=world.grid_a1.community,
        geometry=square(117.11, 40.14),
    )
    data, by_key = features(client)
    assert data["type"] == "FeatureCollection"
    community = shape(by_key[("community", world.grid_a1.community.code)]["geometry"])
    street = shape(by_key[("street", world.street_a.code)]["geometry"])
    assert community.area == pytest.approx(0.0002, rel=1e-3)  # two 0.01° squares, merged into one polygon
    assert community.geom_type == "Polygon" and street.equals(community)
    assert ("grid", "G-A1-01") in by_key and ("grid", "G-A1-02") in by_key
    assert by_key[("street", world.street_a.code)]["properties"]["name"] == "滨河街道"
    # Divisions without grids have nothing to draw; other districts are not listed.
    assert ("street", world.street_b.code) not in by_key


def test_a_changed_grid_changes_the_boundaries(client, world):
    _, before = features(client)
    grid = world.grid_a1
    grid.geometry = square(117.10, 40.14, size=0.02)
    grid.save()
    _, after = features(client)
    area = shape(after[("street", world.street_a.code)]["geometry"]).area
    assert area != shape(before[("street", world.street_a.code)]["geometry"]).area
    assert area == pytest.approx(0.0004, rel=1e-3)


def test_layer_names_in_the_page_language_and_unknown_district(client, world):
    client.cookies["django_language"] = "en"
    data, _ = features(client)
    assert data["names"]["community"] == "Communities and villages"
    client.cookies["django_language"] = "zh-hans"
    data, _ = features(client, district="110117")
    assert data["names"]["community"] == "社区和村"
    assert client.get("/org/boundaries.geojson", {"district": "999999"}).status_code == 404
