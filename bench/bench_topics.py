"""Monthly topic candidates (每月一题): one month's candidates over a large demand history.

Reuses the evaluation benchmark's set-based generator (bench_evaluation._reference_data / _load: 10M
demands over the last 365 days, 30 streets, 150 matters) with reporter phones drawn from 3M numbers, so
that repeat callers exist. PostgreSQL only: BENCH_TOPICS_PG_DEMANDS (default 10,000,000 × --scale) in
BENCH_TOPICS_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_topics, dropped and
re-created); BENCH_TOPICS_REUSE=1 keeps the history already generated.

Timed: `topics.compute(district, last complete month)` — one pass over the month's demands (counts per
place and repeat callers), the 3 months before from their monthly counts (`DemandMonthCount`, written the
first time a settled month is read: `first_with_rollup_ms`) and the ranking in Python. The generator draws
`received_at` at random per row, so a month's rows are spread over every page of the table; real demands
are inserted as they arrive. It is timed as generated, then again after
`CLUSTER intake_demand USING <received_at index>` (the physical order of real data); with
BENCH_TOPICS_REUSE=1 on a table already clustered only the second.
Run the worker by hand: `python bench/bench_topics.py --worker --demands 1000000 [--reuse]` (DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_TOPICS_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_topics")
VAR_DIR = os.environ.get("BENCH_TOPICS_VAR_DIR", "/tmp/shaobao_bench_topics_var")


def run(args) -> dict:
    if not pg_answers():
        raise RuntimeError("PostgreSQL is not running on 127.0.0.1:5432")
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_TOPICS_PG_DEMANDS", 10_000_000 * scale))
    env = dict(os.environ, DATABASE_URL=PG_URL, SHAOBAO_VAR_DIR=VAR_DIR, DEBUG="0", CONN_MAX_AGE="600")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--demands", str(n)]
    if os.environ.get("BENCH_TOPICS_REUSE") == "1":
        cmd.append("--reuse")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return {"postgresql": json.loads(proc.stdout.strip().splitlines()[-1])}


def _phones(d) -> dict:
    return {"reporter_phone": f"'139' || lpad(CAST(floor({d.u()} * 3000000) AS TEXT), 8, '0')"}


def worker(n_demands: int, reuse: bool = False) -> dict:
    url = os.environ["DATABASE_URL"]
    if not reuse:
        fresh_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.bench_evaluation import _load, _log, _reference_data, _timed
    from shaobao.intake.models import Demand
    from shaobao.keytasks import topics
    from shaobao.org.models import Division

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    _log(f"migrated in {time.perf_counter() - started:.1f} s")
    load_s = None
    if reuse:
        district = Division.objects.get(level="district")
        counts = {"intake_demand": Demand.objects.count()}
    else:
        district, streets, units, matters, user, _coordinator = _reference_data()
        started = time.perf_counter()
        counts, _steps = _load(n_demands, streets, units, matters, user, timezone.now(), _phones)
        load_s = round(time.perf_counter() - started, 1)
        _log(f"loaded in {load_s} s")
    from shaobao.keytasks.models import DemandMonthCount, RolledMonth

    def cold_and_warm() -> dict:
        """The first computation of the month rolls up the 3 settled months before it (once); then warm."""
        RolledMonth.objects.all().delete()
        DemandMonthCount.objects.all().delete()
        cold = _timed(lambda: topics.compute(district, month), repeat=1)
        return {"first_with_rollup_ms": cold["median_ms"], **_timed(lambda: topics.compute(district, month))}

    now = timezone.now()
    month = topics.last_month(now)
    a, b = topics.month_bounds(month, -3)[0], topics.month_bounds(month)[1]
    rows_scanned = Demand.objects.filter(received_at__gte=a, received_at__lt=b).count()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.indexrelid::regclass::text, i.indisclustered FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = 'intake_demand'::regclass "
            "AND i.indnatts = 1 AND a.attname = 'received_at'"
        )
        index, clustered = cur.fetchone()
    result = topics.compute(district, month)
    figures = {
        "database": connection.vendor,
        "rows": counts,
        "load_seconds": load_s,
        "month": month,
        "demands_in_month": result.demands,
        "demands_in_the_4_months": rows_scanned,
        "candidates": len(result.frequent) + len(result.rising),
        "repeat_callers_top": max((c.repeat_callers for c in result.frequent), default=None),
        "load_average_before": [round(x, 1) for x in os.getloadavg()],
        "compute_month_as_generated": None if clustered else cold_and_warm(),
    }
    _log(f"as generated: {figures['compute_month_as_generated']}")
    started = time.perf_counter()
    if not clustered:
        with connection.cursor() as cur:
            cur.execute(f"CLUSTER intake_demand USING {index}")
            cur.execute("ANALYZE intake_demand")
    figures["cluster_seconds"] = None if clustered else round(time.perf_counter() - started, 1)
    figures["compute_month_in_arrival_order"] = cold_and_warm()
    _log(f"in arrival order: {figures['compute_month_in_arrival_order']}")
    figures["load_average_1min"] = round(os.getloadavg()[0], 1)
    figures["under_2_s"] = figures["compute_month_in_arrival_order"]["median_ms"] < 2000
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--demands") + 1])
        print(json.dumps(worker(n, reuse="--reuse" in sys.argv), ensure_ascii=False))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), ensure_ascii=False, indent=2))
