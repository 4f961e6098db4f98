"""Placement speed: `shaobao.org.geo.locate(lat, lng)` with 100,000 grids.

`run(args)` starts one worker process per database (own DATABASE_URL and Django setup):
- SQLite: a file under /tmp (always);
- PostgreSQL: BENCH_PLACEMENT_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_placement,
  dropped and re-created) when PostgreSQL answers on it.
Each worker migrates, generates BENCH_PLACEMENT_GRIDS grids (default 100,000 × --scale; 9-vertex polygons
of about 100 m tiling a 40 km × 25 km board, 100 grids per community), then measures:
- the cold first `locate` (builds the in-process index);
- p50/p99/max of `locate` for random points (90 % inside the board, 10 % outside);
- the same lookups with a bbox SQL prefilter (the indexed bbox columns) and an exact shapely test, the
  alternative we did not pick, for comparison;
- the in-memory part alone (tree query + exact test), i.e. what is left without database round trips;
- the rebuild after one grid is edited.
Run one worker by hand: `python bench/bench_placement.py --worker --grids 100000` (with DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_PLACEMENT_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_placement"
)
SQLITE_URL = "sqlite:////tmp/shaobao_bench_placement.sqlite3"
CELL = 1_000  # micro-degrees, about 100 m
ORIGIN = (116_900_000, 40_000_000)
LOOKUPS = 5_000


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_PLACEMENT_GRIDS", 100_000 * scale))
    out = {"sqlite": _worker_process(SQLITE_URL, n)}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, n)
    return out


def _worker_process(url: str, grids: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_placement_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--grids", str(grids)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _polygon(x: int, y: int) -> dict:
    """A ~100 m cell with mid-edge vertices (9 points): closer to real grids than a bare square."""
    pts = [(x, y), (x + CELL // 2, y), (x + CELL, y), (x + CELL, y + CELL // 2), (x + CELL, y + CELL)]
    pts += [(x + CELL // 2, y + CELL), (x, y + CELL), (x, y + CELL // 2), (x, y)]
    return {"type": "Polygon", "coordinates": [[[px / 1e6, py / 1e6] for px, py in pts]]}


def _generate(n: int) -> tuple[int, int]:
    from shaobao.org.models import Division, Grid

    cols = int(n**0.5 * 1.6) or 1
    rows = -(-n // cols)
    district = Division.objects.create(code="990101000000", name="基准区", level="district")
    communities = []
    per_community = 100
    n_communities = -(-n // per_community)
    streets = [
        Division.objects.create(
            code=f"990101{s + 1:03d}000", name=f"街道{s}", level="street", parent=district
        )
        for s in range(-(-n_communities // 999))
    ]
    Division.objects.bulk_create(
        [
            Division(
                code=f"{streets[c // 999].code[:9]}{c % 999 + 1:03d}",
                name=f"社区{c}",
                level="community",
                parent=streets[c // 999],
            )
            for c in range(n_communities)
        ],
        batch_size=2000,
    )
    communities = list(
        Division.objects.filter(level="community").order_by("code").values_list("id", flat=True)
    )
    batch = []
    for i in range(n):
        x, y = ORIGIN[0] + (i % cols) * CELL, ORIGIN[1] + (i // cols) * CELL
        batch.append(
            Grid(
                code=f"B{i:06d}",
                name=f"网格{i}",
                community_id=communities[i // per_community],
                geometry=_polygon(x, y),
                min_lng=x / 1e6,
                min_lat=y / 1e6,
                max_lng=(x + CELL) / 1e6,
                max_lat=(y + CELL) / 1e6,
            )
        )
        if len(batch) == 5000:
            Grid.objects.bulk_create(batch)
            batch = []
    Grid.objects.bulk_create(batch)
    return cols, rows


def _percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
        "max_ms": round(samples[-1] * 1000, 3),
    }


def _bbox_sql_locate(lat: float, lng: float):
    """The alternative: indexed bbox range query, then the exact test (what we compare against)."""
    from shapely.geometry import Point, shape

    from shaobao.org.models import Grid

    point = Point(lng, lat)
    for grid in Grid.objects.filter(min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat):
        if shape(grid.geometry).covers(point):
            return grid
    return None


def worker(grids: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from shaobao.org import geo
    from shaobao.org.models import Grid

    url = os.environ["DATABASE_URL"]
    fresh_database(url)
    call_command("migrate", verbosity=0)
    _log(f"generating {grids} grids")
    t = time.perf_counter()
    cols, rows = _generate(grids)
    generated_s = time.perf_counter() - t
    # A deployment with 100,000 grids has planner statistics (autovacuum / ANALYZE); a fresh bulk load not.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rng = random.Random(7)
    width, height = cols * CELL / 1e6, rows * CELL / 1e6
    x0, y0 = ORIGIN[0] / 1e6, ORIGIN[1] / 1e6
    points = []
    for i in range(LOOKUPS):
        if i % 10 == 9:  # outside the board
            points.append((y0 - 0.05 - rng.random() * 0.1, x0 + rng.random() * width))
        else:
            points.append((y0 + rng.random() * height * 0.98, x0 + rng.random() * width))

    geo.invalidate_index()
    t = time.perf_counter()
    geo.locate(*points[0])
    cold_s = time.perf_counter() - t

    found = 0
    samples = []
    for lat, lng in points:
        t = time.perf_counter()
        hit = geo.locate(lat, lng)
        samples.append(time.perf_counter() - t)
        found += hit is not None
    # The in-memory part alone (STRtree over boxes + exact test), without the database round trips.
    from shapely.geometry import Point, shape

    index = geo._index
    shapes = {}
    memory = []
    for lat, lng in points:
        t = time.perf_counter()
        point = Point(lng, lat)
        for i in index.tree.query(point):
            gid = int(index.ids[i])
            if gid not in shapes:
                shapes[gid] = shape(_polygon(0, 0))  # stands for a cached parsed polygon
            shapes[gid].covers(point)
        memory.append(time.perf_counter() - t)
    alt = []
    for lat, lng in points[:1000]:
        t = time.perf_counter()
        _bbox_sql_locate(lat, lng)
        alt.append(time.perf_counter() - t)

    grid = Grid.objects.order_by("?").first() if "sqlite" in url else Grid.objects.first()
    grid.name = grid.name + "·"
    grid.save()
    t = time.perf_counter()
    geo.locate(*points[1])
    rebuild_s = time.perf_counter() - t
    return {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "grids": grids,
        "generate_s": round(generated_s, 1),
        "cold_first_locate_s": round(cold_s, 3),
        "rebuild_after_edit_s": round(rebuild_s, 3),
        "lookups": len(points),
        "placed": found,
        "locate": _percentiles(samples),
        "in_memory_part": _percentiles(memory),
        "bbox_sql_prefilter": _percentiles(alt),
    }


if __name__ == "__main__":
    import argparse

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--grids", type=int, default=100_000)
    ns = parser.parse_args()
    if ns.worker:
        print(json.dumps(worker(ns.grids)))
    else:
        print(json.dumps(run(ns), indent=2))
