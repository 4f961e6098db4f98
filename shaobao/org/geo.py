"""Grid geometry: GeoJSON import/export and point-in-polygon placement (`locate`).

GeoJSON (RFC 7946, WGS84 lng/lat): a FeatureCollection whose features are Polygon or MultiPolygon grids
with the properties `code` (unique), `name`, `community` (the 12-digit code of a community/village
division) and optionally `is_sample` (true for made-up geometry). Other properties are ignored.

An import is all-or-nothing: every feature is validated first (with shapely), every problem is reported
with the feature's index and code in Chinese and English, and nothing is written unless all are valid.
Grids are upserted by code; grids absent from the file are left alone.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from shaobao.core.db import hot_cursor
from shaobao.core.errors import ValidationFailed
from shaobao.org.models import Division, DivisionLevel, Grid, geometry_bbox

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class GeoJSONInvalid(ValidationFailed):
    """A grid file with problems; `errors` lists each one ("features[3] (code G-1): ...")."""

    code = "invalid_geojson"

    def __init__(self, errors: list[str]):
        self.errors = errors
        head = f"GeoJSON 文件有 {len(errors)} 处错误，未写入任何数据 / the GeoJSON file has {len(errors)} error(s); nothing was written"
        super().__init__(head + "\n" + "\n".join(errors), fields={"file": errors[0] if errors else ""})


@dataclass(frozen=True)
class GridFeature:
    code: str
    name: str
    community_code: str
    is_sample: bool
    geometry: dict


def _chunks(values: list, size: int = 5000):
    """`__in` lists in slices: SQLite limits the number of bound parameters per statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _feature_label(index: int, code: Any) -> tuple[str, str]:
    shown = code if isinstance(code, str) and code else "?"
    return f"features[{index}]（编码 {shown}）", f"features[{index}] (code {shown})"


def parse_feature_collection(data: Any) -> list[GridFeature]:
    """Validate a parsed GeoJSON document; raise GeoJSONInvalid listing every problem."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoJSONInvalid(["顶层必须是 FeatureCollection / the top level must be a FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoJSONInvalid(["缺少 features 数组 / the 'features' array is missing"])
    errors: list[str] = []
    parsed: list[GridFeature] = []
    seen: dict[str, int] = {}
    wanted = set()
    for f in features:
        props = f.get("properties") if isinstance(f, dict) else None
        if isinstance(props, dict) and isinstance(props.get("community"), str):
            wanted.add(props["community"].strip())
    communities = {
        code
        for chunk in _chunks(sorted(wanted))
        for code in Division.objects.filter(code__in=chunk, level=DivisionLevel.COMMUNITY).values_list(
            "code", flat=True
        )
    }
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = props.get("code") if isinstance(props, dict) else None
        zh, en = _feature_label(i, code)

        def fail(zh_msg: str, en_msg: str, zh=zh, en=en) -> None:
            errors.append(f"{zh}：{zh_msg} / {en}: {en_msg}")

        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            fail("不是 Feature 对象", "not a Feature object")
            continue
        if not isinstance(props, dict):
            fail("缺少 properties", "properties are missing")
            continue
        ok = True
        for key, zh_name in (("code", "编码"), ("name", "名称"), ("community", "社区/村代码")):
            value = props.get(key)
            if not isinstance(value, str) or not value.strip():
                fail(f"缺少必填属性 {key}（{zh_name}）", f"required property '{key}' is missing or empty")
                ok = False
        if ok and len(props["code"].strip()) > 40:
            fail("编码超过40个字符", "code is longer than 40 characters")
            ok = False
        if ok and len(props["name"].strip()) > 100:
            fail("名称超过100个字符", "name is longer than 100 characters")
            ok = False
        is_sample = props.get("is_sample", False)
        if not isinstance(is_sample, bool):
            fail("is_sample 必须是 true 或 false", "is_sample must be true or false")
            ok = False
        if ok:
            code = props["code"].strip()
            if code in seen:
                fail(f"编码与 features[{seen[code]}] 重复", f"code duplicates features[{seen[code]}]")
                ok = False
            else:
                seen[code] = i
            community = props["community"].strip()
            if community not in communities:
                fail(
                    f"未知的社区/村代码 {community}（须为已导入的12位社区/村代码）",
                    f"unknown community code {community} (a 12-digit community/village code already imported)",
                )
                ok = False
        geometry = feature.get("geometry")
        problem = geometry_problem(geometry)
        if problem:
            fail(*problem)
            ok = False
        if ok:
            parsed.append(
                GridFeature(
                    code=props["code"].strip(),
                    name=props["name"].strip(),
                    community_code=props["community"].strip(),
                    is_sample=is_sample,
                    geometry={"type": geometry["type"], "coordinates": geometry["coordinates"]},
                )
            )
    if errors:
        raise GeoJSONInvalid(errors)
    return parsed


def geometry_problem(geometry: Any) -> tuple[str, str] | None:
    """None for a valid polygon/multipolygon in lng/lat, else (zh, en) describing the problem."""
    if not isinstance(geometry, dict):
        return "缺少几何图形", "geometry is missing"
    if geometry.get("type") not in GEOMETRY_TYPES:
        return (
            f"几何类型须为 Polygon 或 MultiPolygon，而不是 {geometry.get('type')}",
            f"geometry must be a Polygon or MultiPolygon, not {geometry.get('type')}",
        )
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        return f"坐标格式错误：{exc}", f"malformed coordinates: {exc}"
    if geom.is_empty:
        return "几何图形为空", "geometry is empty"
    if not geom.is_valid:
        reason = explain_validity(geom)
        return f"几何图形无效（{reason}）", f"invalid geometry ({reason})"
    min_x, min_y, max_x, max_y = geom.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        return (
            "坐标超出经纬度范围（应为 WGS84 经度, 纬度）",
            "coordinates out of range (expected WGS84 lng, lat)",
        )
    return None


def read_geojson(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as exc:
        raise GeoJSONInvalid([f"文件不存在：{path} / file not found: {path}"]) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GeoJSONInvalid([f"不是有效的 JSON：{exc} / not valid JSON: {exc}"]) from exc


@dataclass
class GridImport:
    created: int
    updated: int
    unchanged: int = 0


def import_grids(data: Any) -> GridImport:
    """Validate then upsert every grid of a FeatureCollection in one transaction (all or nothing)."""
    features = parse_feature_collection(data)
    with transaction.atomic():
        communities = {
            code: pk
            for chunk in _chunks(sorted({f.community_code for f in features}))
            for code, pk in Division.objects.filter(code__in=chunk).values_list("code", "id")
        }
        existing = {
            g.code: g
            for chunk in _chunks([f.code for f in features])
            for g in Grid.objects.filter(code__in=chunk)
        }
        now = timezone.now()
        to_create, to_update, unchanged = [], [], 0
        for f in features:
            grid = existing.get(f.code)
            values = {
                "name": f.name,
                "community_id": communities[f.community_code],
                "is_sample": f.is_sample,
                "geometry": f.geometry,
            }
            if grid is not None and all(getattr(grid, k) == v for k, v in values.items()):
                unchanged += 1  # re-importing the same file writes nothing
                continue
            min_lng, min_lat, max_lng, max_lat = geometry_bbox(f.geometry)
            values |= {"min_lng": min_lng, "min_lat": min_lat, "max_lng": max_lng, "max_lat": max_lat}
            if grid is None:
                to_create.append(Grid(code=f.code, updated_at=now, **values))
            else:
                to_update.append((grid.pk, values))
        Grid.objects.bulk_create(to_create, batch_size=1000)
        # One UPDATE per changed grid: bulk_update's CASE expressions cost far more in Django than the
        # statements cost the database (a 40,000-grid re-import took minutes).
        for pk, values in to_update:
            Grid.objects.filter(pk=pk).update(updated_at=now, **values)
        transaction.on_commit(invalidate_index)
    return GridImport(created=len(to_create), updated=len(to_update), unchanged=unchanged)


def import_grids_file(path: str | Path) -> GridImport:
    return import_grids(read_geojson(path))


def export_grids(grids=None) -> dict:
    """The grids (default: all) as a FeatureCollection that `import_grids` reads back unchanged."""
    grids = (grids if grids is not None else Grid.objects.all()).select_related("community").order_by("code")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": g.geometry,
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "community": g.community.code,
                    "community_name": g.community.name,
                    "is_sample": g.is_sample,
                },
            }
            for g in grids.iterator(chunk_size=2000)
        ],
    }


def export_grids_file(path: str | Path, grids=None) -> int:
    data = export_grids(grids)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    return len(data["features"])


# Placement: see `locate` for the design and docs/adr/0006-grid-placement-index.md for the decision.


@dataclass
class _BoxIndex:
    signature: tuple
    tree: shapely.STRtree | None
    ids: np.ndarray


_index: _BoxIndex | None = None
_lock = threading.Lock()

# Parsed, prepared polygons by grid id: (updated_at as read, geometry, area). Bounded, because a
# deployment may have 100,000+ grids per worker process; the oldest entries go first.
SHAPE_CACHE_SIZE = 20_000
_shapes: dict[int, tuple[Any, Any, float]] = {}
_shapes_lock = threading.Lock()


def invalidate_index() -> None:
    """Drop this process's placement index and parsed polygons; the next `locate` rebuilds them."""
    global _index
    _index = None
    _shapes.clear()


def _signature_sql() -> str:
    """(max(id), max(updated_at)) of the grid table, as columns `max_id`, `max_at`.

    Two scalar subqueries rather than one SELECT with two aggregates: SQLite answers a lone MAX() from the
    index but scans the table for two aggregates in one SELECT. Raw values are fine: they are only ever
    compared with other values read the same way.
    """
    qn = connection.ops.quote_name
    table = qn(Grid._meta.db_table)
    return (
        f"SELECT (SELECT MAX({qn('id')}) FROM {table}) AS max_id, "
        f"(SELECT MAX({qn('updated_at')}) FROM {table}) AS max_at"
    )


def _signature() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_signature_sql())
        return tuple(cursor.fetchone())


def _build(signature: tuple) -> _BoxIndex:
    # A plain cursor: 100,000 rows of five numbers through the ORM would cost more than the tree itself.
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in ("id", "min_lng", "min_lat", "max_lng", "max_lat"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {qn(Grid._meta.db_table)}")
        rows = np.array(cursor.fetchall(), dtype=float).reshape(-1, 5)
    if not len(rows):
        return _BoxIndex(signature, None, np.empty(0, dtype=np.int64))
    boxes = shapely.box(rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4])
    tree = shapely.STRtree(boxes)
    tree.query(boxes[0])  # GEOS builds the tree on its first query: do it before threads share it
    return _BoxIndex(signature, tree, rows[:, 0].astype(np.int64))


def _index_for(signature: tuple) -> _BoxIndex:
    """The index built for `signature` (this process's, or a new one)."""
    global _index
    index = _index
    if index is None or index.signature != signature:
        with _lock:
            index = _index
            if index is None or index.signature != signature:
                index = _index = _build(signature)
    return index


def _current_index() -> _BoxIndex:
    return _index_for(_signature())


def current_index_size() -> int:
    """Build (or check) this process's placement index now; the number of grids it holds. Called when a web
    worker starts (config/gunicorn.py), so no request waits for the build."""
    return len(_current_index().ids)


def _candidates(index: _BoxIndex, point: Point) -> list[int]:
    if index.tree is None:
        return []
    return [int(i) for i in index.ids[index.tree.query(point)]]


def candidate_ids(lat: float, lng: float) -> list[int]:
    """Grids whose bounding box contains the point (a superset of the answer)."""
    return _candidates(_current_index(), Point(lng, lat))


_GRID_FIELDS = ("id", "code", "name", "community_id", "is_sample", "updated_at")
_DIVISION_FIELDS = ("id", "code", "name", "level", "parent_id")


@functools.cache
def _rows_sql(n: int) -> str:
    """The signature and the candidate grids (with community and its parent) in one round trip. The
    LEFT JOIN from the one-row signature keeps that row when no candidate exists any more."""
    qn = connection.ops.quote_name
    columns = ", ".join(
        [f"g.{qn(c)}" for c in _GRID_FIELDS]
        + [f"c.{qn(c)}" for c in _DIVISION_FIELDS]
        + [f"p.{qn(c)}" for c in _DIVISION_FIELDS]
    )
    division = qn(Division._meta.db_table)
    marks = ", ".join(["%s"] * n)
    return (
        f"SELECT s.max_id, s.max_at, {columns} FROM ({_signature_sql()}) s "
        f"LEFT JOIN {qn(Grid._meta.db_table)} g ON g.{qn('id')} IN ({marks}) "
        f"LEFT JOIN {division} c ON c.{qn('id')} = g.{qn('community_id')} "
        f"LEFT JOIN {division} p ON p.{qn('id')} = c.{qn('parent_id')}"
    )


def _read_candidates(index: _BoxIndex, point: Point) -> tuple[tuple, list[tuple]]:
    """(signature, candidate rows) read with the index the caller holds."""
    ids = _candidates(index, point)
    with hot_cursor() as cursor:
        if not ids:
            cursor.execute(_signature_sql())
            return tuple(cursor.fetchone()), []
        cursor.execute(_rows_sql(len(ids)), ids)
        rows = cursor.fetchall()
    return tuple(rows[0][:2]), [r[2:] for r in rows if r[2] is not None]


def _shapes_for(rows: list[tuple]) -> dict[int, tuple[Any, Any, float]]:
    """The parsed polygons of these grid rows: from the cache when the grid's updated_at is unchanged,
    else read (one query for all misses), parsed, prepared and cached."""
    at = _GRID_FIELDS.index("updated_at")
    out, missing = {}, {}
    for row in rows:
        cached = _shapes.get(row[0])
        if cached is not None and cached[0] == row[at]:
            out[row[0]] = cached
        else:
            missing[row[0]] = row[at]
    if missing:
        qn = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(missing))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('id')}, {qn('geometry')} FROM {qn(Grid._meta.db_table)} "
                f"WHERE {qn('id')} IN ({marks})",
                list(missing),
            )
            fetched = cursor.fetchall()
        for grid_id, geometry in fetched:
            geom = shape(json.loads(geometry) if isinstance(geometry, str | bytes) else geometry)
            shapely.prepare(geom)
            # The updated_at of the candidate row: if the grid changed between the two reads, the next
            # lookup sees a different updated_at and parses it again.
            entry = (missing[grid_id], geom, geom.area)
            with _shapes_lock:  # the worker's other threads may be adding or evicting entries meanwhile
                while len(_shapes) >= SHAPE_CACHE_SIZE:
                    _shapes.pop(next(iter(_shapes)), None)
                _shapes[grid_id] = out[grid_id] = entry
    return out


def _grid_from_row(row: tuple) -> Grid:
    """A Grid (geometry deferred: loaded only if touched) with its community and the community's parent."""
    db = connection.alias
    n, m = len(_GRID_FIELDS), len(_DIVISION_FIELDS)
    grid = Grid.from_db(db, _GRID_FIELDS, row[:n])
    community = Division.from_db(db, _DIVISION_FIELDS, row[n : n + m])
    if row[n + m] is not None:
        community.parent = Division.from_db(db, _DIVISION_FIELDS, row[n + m :])
    grid.community = community
    return grid


def locate(lat: float, lng: float) -> Grid | None:
    """The grid whose polygon covers the point (WGS84), or None.

    Points on a grid's edge belong to it; a point in a hole belongs to none (unless another grid fills the
    hole). Where polygons overlap (real data is not always clean) the smallest grid wins, then the code.

    How: an in-process shapely STRtree over the grids' *bounding boxes* (read from the bbox columns with one
    plain SELECT), built lazily and rebuilt when the grid table changes; its candidates are read by primary
    key (id, updated_at, community and the community's parent; not the geometry) and their polygons, parsed
    and prepared once per process and kept by (id, updated_at), tested with `covers`. One round trip per
    lookup: the candidate rows and the table's signature come in one SELECT.

    Why not a bbox SQL prefilter alone: a B-tree on (min_lng, max_lng, min_lat, max_lat) only narrows its
    first column, so with 100,000 grids each lookup walks about half the index (on SQLite ~100x slower than
    the tree; bench/bench_placement.py measures both). Why boxes rather than polygons in the tree: a rebuild
    reads four floats per grid instead of parsing every GeoJSON document, so it stays at a second or two for
    100,000 grids and each worker holds little memory (polygons are parsed only for grids that were hit).

    Staleness: every call reads (max(id), max(updated_at)) with the candidates and, if it differs from the
    tree's, rebuilds and reads again, so an insert or edit in any process is seen by the next lookup in
    every process; a deleted grid is never returned (its row is gone from the candidates); an edited
    polygon has a new updated_at, so its cached parse is not used; the community and street come from the
    database with every lookup. Writes must therefore set `updated_at` (`Grid.save()`, `import_grids`, the
    admin do), not a bare `QuerySet.update()`.
    """
    point = Point(lng, lat)
    index = _index
    if index is None:
        index = _current_index()
    for _attempt in range(5):
        signature, rows = _read_candidates(index, point)
        if signature == index.signature:
            break
        index = _index_for(signature)  # the table changed: rebuild, and read the candidates again
    if not rows:
        return None
    shapes = _shapes_for(rows)
    hits = []
    # One thread at a time: GEOS prepared geometries build their index lazily and are not thread-safe,
    # and shapely releases the GIL inside `covers` (the test takes microseconds).
    with _shapes_lock:
        for row in rows:
            entry = shapes.get(row[0])
            if entry is not None and entry[1].covers(point):
                hits.append((entry[2], row[1], row))
    if not hits:
        return None
    return _grid_from_row(min(hits, key=lambda h: (h[0], h[1]))[2])
