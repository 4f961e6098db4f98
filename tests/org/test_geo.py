"""Grids as GeoJSON (round trip, all-or-nothing validation) and point placement (`locate`)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shaobao.org import geo
from shaobao.org.models import Grid
from tests.factories import DivisionFactory, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def communities(db):
    district = DivisionFactory(code="110117000000", name="平谷区", level="district")
    street = DivisionFactory(code="110117001000", name="滨河街道", level="street", parent=district)
    return [
        DivisionFactory(code=f"110117001{n:03d}", name=f"社区{n}", level="community", parent=street)
        for n in (1, 2)
    ]


def feature(code, community="110117001001", geometry=None, name=None, **extra):
    return {
        "type": "Feature",
        "geometry": geometry or square(117.1, 40.1),
        "properties": {"code": code, "name": name or f"网格{code}", "community": community, **extra},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


RING_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[117.0, 40.0], [117.1, 40.0], [117.1, 40.1], [117.0, 40.1], [117.0, 40.0]],
        [[117.04, 40.04], [117.06, 40.04], [117.06, 40.06], [117.04, 40.06], [117.04, 40.04]],
    ],
}
TWO_ISLANDS = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[117.2, 40.0], [117.21, 40.0], [117.21, 40.01], [117.2, 40.01], [117.2, 40.0]]],
        [[[117.3, 40.0], [117.31, 40.0], [117.31, 40.01], [117.3, 40.01], [117.3, 40.0]]],
    ],
}


def test_geojson_round_trip(communities, tmp_path):
    source = collection(
        feature("G-1", geometry=RING_WITH_HOLE, is_sample=True),
        feature("G-2", community="110117001002", geometry=TWO_ISLANDS),
    )
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    call_command("import_grids", str(path), stdout=StringIO())
    g1 = Grid.objects.get(code="G-1")
    assert (g1.min_lng, g1.min_lat, g1.max_lng, g1.max_lat) == (117.0, 40.0, 117.1, 40.1)
    assert g1.is_sample and not Grid.objects.get(code="G-2").is_sample

    out = tmp_path / "out.geojson"
    call_command("export_grids", str(out), stdout=StringIO())
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [f["geometry"] for f in exported["features"]] == [RING_WITH_HOLE, TWO_ISLANDS]
    assert exported["features"][1]["properties"]["community"] == "110117001002"

    Grid.objects.all().delete()
    result = geo.import_grids(exported)
    assert result.created == 2
    assert geo.export_grids() == exported


def test_reimport_updates_grids_and_their_bbox(communities):
    geo.import_grids(collection(feature("G-1")))
    moved = square(117.5, 40.5, size=0.02)
    result = geo.import_grids(collection(feature("G-1", geometry=moved, name="新名")))
    grid = Grid.objects.get(code="G-1")
    assert (result.created, result.updated) == (0, 1)
    assert grid.name == "新名" and (grid.min_lng, grid.max_lat) == (117.5, 40.52)
    again = geo.import_grids(collection(feature("G-1", geometry=moved, name="新名")))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Grid.objects.get(code="G-1").updated_at == grid.updated_at


@pytest.mark.parametrize(
    "bad, message",
    [
        (feature("G-2", community="110117009999"), "unknown community code 110117009999"),
        (feature("G-1"), "code duplicates features[0]"),
        (feature(""), "required property 'code'"),
        (feature("G-2", geometry={"type": "Point", "coordinates": [117.1, 40.1]}), "not Point"),
        (
            feature(
                "G-2",
                geometry={
                    "type": "Polygon",
                    "coordinates": [[[117, 40], [117.1, 40.1], [117.1, 40], [117, 40.1], [117, 40]]],
                },
            ),
            "invalid geometry (Self-intersection",
        ),
        (feature("G-2", geometry={"type": "Polygon", "coordinates": [[[117, 40], [117.1]]]}), "malformed"),
        (feature("G-2", is_sample="yes"), "is_sample must be true or false"),
        (feature("G-2", geometry=square(400, 40)), "out of range"),
    ],
)
def test_bad_feature_is_named_and_nothing_is_written(communities, bad, message):
    with pytest.raises(geo.GeoJSONInvalid) as exc:
        geo.import_grids(collection(feature("G-1"), bad))
    assert len(exc.value.errors) == 1
    error = exc.value.errors[0]
    assert error.startswith("features[1]") and message in error
    assert " / features[1]" in error  # Chinese first, then English
    assert not Grid.objects.exists()


def test_every_problem_is_listed_and_the_command_fails(communities, tmp_path):
    path = tmp_path / "bad.geojson"
    data = collection(feature("G-1"), feature("G-2", community="110117009999"), feature("G-1"))
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_grids", str(path))
    text = str(exc.value)
    assert "features[1]（编码 G-2）" in text and "features[2] (code G-1)" in text
    assert "nothing was written" in text
    assert not Grid.objects.exists()


def test_not_a_feature_collection_is_rejected(communities, tmp_path):
    with pytest.raises(geo.GeoJSONInvalid, match="FeatureCollection"):
        geo.import_grids({"type": "Feature"})
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(geo.GeoJSONInvalid, match="not valid JSON"):
        geo.import_grids_file(path)


def test_locate_inside_outside_hole_and_edge(communities):
    geo.import_grids(
        collection(feature("HOLE", geometry=RING_WITH_HOLE), feature("ISLANDS", geometry=TWO_ISLANDS))
    )
    assert geo.locate(40.02, 117.02).code == "HOLE"
    assert geo.locate(40.05, 117.05) is None  # inside the hole
    assert geo.locate(40.04, 117.05).code == "HOLE"  # on the hole's edge
    assert geo.locate(40.0, 117.05).code == "HOLE"  # on the outer edge
    assert geo.locate(40.005, 117.205).code == "ISLANDS"
    assert geo.locate(40.005, 117.305).code == "ISLANDS"
    assert geo.locate(40.005, 117.25) is None  # between the islands, inside their bbox
    assert geo.locate(39.0, 116.0) is None


def test_locate_sees_new_edited_and_deleted_grids(communities):
    assert geo.locate(40.105, 117.105) is None
    geo.import_grids(collection(feature("G-1")))
    assert geo.locate(40.105, 117.105).code == "G-1"
    grid = Grid.objects.get(code="G-1")
    grid.geometry = square(117.3, 40.3)
    grid.save()
    assert geo.locate(40.105, 117.105) is None
    assert geo.locate(40.305, 117.305).code == "G-1"
    grid.delete()
    assert geo.locate(40.305, 117.305) is None


def test_a_grid_filling_a_hole_wins_inside_it(communities):
    filler = square(117.04, 40.04, size=0.02)
    geo.import_grids(collection(feature("HOLE", geometry=RING_WITH_HOLE), feature("FILL", geometry=filler)))
    assert geo.locate(40.05, 117.05).code == "FILL"
    # on the shared edge both cover the point: the smaller grid wins
    assert geo.locate(40.04, 117.05).code == "FILL"


def test_saving_a_grid_keeps_its_bbox_in_step(communities):
    grid = Grid(code="X", name="X", community=communities[0], geometry=TWO_ISLANDS)
    grid.save()
    grid.refresh_from_db()
    assert (grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat) == (117.2, 40.0, 117.31, 40.01)


def test_locate_skips_a_deleted_grid_and_reads_the_current_divisions(communities):
    # The small grid is created first, so deleting it leaves the table's signature (max id) unchanged.
    geo.import_grids(collection(feature("SMALL", geometry=square(117.1, 40.1, size=0.002))))
    geo.import_grids(
        collection(feature("BIG", community="110117001002", geometry=square(117.09, 40.09, size=0.02)))
    )
    assert geo.locate(40.1005, 117.1005).code == "SMALL"
    Grid.objects.filter(code="SMALL").delete()
    big = geo.locate(40.1005, 117.1005)
    assert big.code == "BIG" and big.community == communities[1]
    street = communities[1].parent
    street.name = "新名街道"
    street.save()
    assert geo.locate(40.1005, 117.1005).community.parent.name == "新名街道"


def test_a_warm_locate_is_one_query_and_the_grid_loads_its_geometry_on_demand(
    communities, django_assert_num_queries
):
    geo.import_grids(collection(feature("G-1")))
    geo.locate(40.105, 117.105)  # builds the index and parses the polygon
    with django_assert_num_queries(1):
        grid = geo.locate(40.105, 117.105)
        assert grid.community.code == "110117001001" and grid.community.parent.code == "110117001000"
    with django_assert_num_queries(1):
        assert geo.locate(39.0, 116.0) is None
    assert grid.geometry == square(117.1, 40.1)  # deferred, read when asked for


def test_a_web_worker_builds_the_placement_index_before_its_first_request(world):
    """config/gunicorn.py's post_worker_init: in a province (398,000 grids) a fresh worker's first placement
    would otherwise wait for the index."""
    import runpy
    from pathlib import Path
    from unittest import mock

    hooks = runpy.run_path(str(Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"))
    geo.invalidate_index()
    worker = mock.Mock()
    with mock.patch("django.db.connections.close_all"):  # the test's own connection stays open
        hooks["post_worker_init"](worker)
    worker.log.exception.assert_not_called()
    assert geo._index is not None and geo.current_index_size() == 1  # the world's one grid
