"""Evaluation speed: monthly rankings and indicator pages over a large generated history.

`run(args)` starts one worker process per database (so each gets its own DATABASE_URL and Django setup):
- PostgreSQL: BENCH_EVAL_PG_DEMANDS demands (default 10,000,000 × --scale), whistles = 30 % of that, in
  BENCH_EVAL_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_eval, dropped and re-created
  and migrated), loaded with COPY;
- SQLite: BENCH_EVAL_SQLITE_DEMANDS (default 1,000,000 × --scale) in a file under /tmp, loaded with executemany.
Then it runs the full rollup, times the ranking of all units and streets for the last complete month, the
evaluation pages (index, drill-down) through Django's test client, and the recent-window rollup pass.
Run one worker by hand: `python bench/bench_evaluation.py --worker --demands 1000000` (with DATABASE_URL).
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
from bench.common import fresh_database  # noqa: E402

PG_URL = os.environ.get("BENCH_EVAL_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_eval")
N_STREETS, N_UNITS, N_MATTERS = 30, 300, 150


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    pg_n = int(os.environ.get("BENCH_EVAL_PG_DEMANDS", 10_000_000 * scale))
    sq_n = int(os.environ.get("BENCH_EVAL_SQLITE_DEMANDS", 1_000_000 * scale))
    out = {}
    for name, url, n in (
        ("postgresql", PG_URL, pg_n),
        ("sqlite", "sqlite:////tmp/shaobao_bench_eval.sqlite3", sq_n),
    ):
        if n <= 0:
            continue
        out[name] = _worker_process(url, n)
    return out


def _worker_process(url: str, demands: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_eval_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--demands", str(demands)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _reference_data():
    """District, streets, units, a published duty list with matters, one user."""
    from shaobao.duties.models import Domain, DutyList, Matter
    from shaobao.org.models import Division, Membership, Unit, User

    city = Division.objects.create(code="110100000000", name="北京市", level="city")
    district = Division.objects.create(code="110117000000", name="平谷区", level="district", parent=city)
    streets = [
        Division.objects.create(
            code=f"110117{i + 1:03d}000", name=f"街道{i + 1}", level="street", parent=district
        )
        for i in range(N_STREETS)
    ]
    units = Unit.objects.bulk_create(
        [
            Unit(code=f"U{i:04d}", name=f"单位{i}", kind="department", division=district)
            for i in range(N_UNITS)
        ]
    )
    domain = Domain.objects.create(code="CSGL", name="城市管理")
    duty_list = DutyList.objects.create(district=district, name="清单", version=1)
    matters = Matter.objects.bulk_create(
        [
            Matter(
                duty_list=duty_list,
                code=f"M{i:03d}",
                name=f"事项{i}",
                domain=domain,
                lead_unit=units[i % N_UNITS],
                time_limit=7,
                time_limit_unit="working_days",
            )
            for i in range(N_MATTERS)
        ]
    )
    duty_list.status = "published"
    duty_list.save()
    user = User.objects.create(username="bench", is_superuser=True, is_staff=True)
    coordinator = User.objects.create(username="coordinator")
    Membership.objects.create(user=coordinator, role="district_coordinator", division=district)
    return district, streets, units, matters, user, coordinator


def _generate(n_demands: int, streets, units, matters, user, now):
    """Yield (table, columns, rows-iterator) in insertion order; whistles = 30 % of demands."""
    import datetime as dt

    rng = random.Random(7)
    n_whistles = int(n_demands * 0.3)
    span = 365 * 86400
    start = now - dt.timedelta(seconds=span)
    street_ids = [s.id for s in streets]
    unit_ids = [u.id for u in units]
    matter_ids = [m.id for m in matters]
    H = dt.timedelta(hours=1)

    whistle_cols = (
        "id",
        "street_id",
        "type",
        "matter_id",
        "state",
        "note",
        "blown_by_id",
        "blown_at",
        "fed_back_at",
        "closed_at",
        "rework_count",
    )
    summons_cols = (
        "id",
        "whistle_id",
        "unit_id",
        "role",
        "state",
        "summoned_at",
        "report_in_due",
        "report_in_warn_at",
        "finish_due",
        "finish_warn_at",
        "reported_in_at",
        "finished_at",
        "dispute_reason",
        "extension_days",
    )
    closed = {}
    sid = 0

    def whistle_rows():
        nonlocal sid
        for wid in range(1, n_whistles + 1):
            blown = start + dt.timedelta(seconds=rng.random() * span)
            handle_h = rng.lognormvariate(5.57, 1.05)  # median ≈ 11 days, p90 ≈ 41 days
            finished = blown + handle_h * H
            is_closed = finished < now
            closed_at = finished + 12 * H if is_closed and finished + 12 * H < now else None
            closed[wid] = (closed_at, blown)
            yield (
                wid,
                rng.choice(street_ids),
                "routine",
                rng.choice(matter_ids),
                "closed" if closed_at else "handling",
                "",
                user.id,
                blown,
                None,
                closed_at,
                1 if rng.random() < 0.06 else 0,
            )

    def summons_rows():
        nonlocal sid
        for wid in range(1, n_whistles + 1):
            closed_at, blown = closed[wid]
            for role in ("lead",) + ("supporting",) * rng.choice((0, 0, 1, 1, 2)):
                sid += 1
                upheld = rng.random() < 0.02
                disputed = upheld or rng.random() < 0.03
                report_h = rng.lognormvariate(2.3, 1.0)
                ext = 5 if rng.random() < 0.05 else 0
                finish_due = blown + (15 + ext * 1.4) * 24 * H
                reported = blown + report_h * H
                finished = blown + rng.lognormvariate(5.57, 1.05) * H
                if upheld:
                    state, reported, finished = "withdrawn", None, None
                elif reported > now:
                    state, reported, finished = "summoned", None, None
                elif finished > now:
                    state, finished = "reported_in", None
                else:
                    state = "finished"
                yield (
                    sid,
                    wid,
                    rng.choice(unit_ids),
                    role,
                    state,
                    blown,
                    blown + 24 * H,
                    blown + 18 * H,
                    finish_due,
                    finish_due - 3 * 24 * H,
                    reported,
                    finished,
                    "不属于本单位职责" if disputed else "",
                    ext,
                )

    demand_cols = (
        "id",
        "tracking_code",
        "channel",
        "kind",
        "subject",
        "body",
        "reporter_name",
        "reporter_phone",
        "address",
        "urgency",
        "street_id",
        "matter_id",
        "placement_source",
        "state",
        "assigned_unit_id",
        "rework_count",
        "received_at",
        "called_back_at",
        "solved",
        "satisfaction",
    )
    sats = ("satisfied",) * 6 + ("basically_satisfied",) * 3 + ("unsatisfied",)

    def demand_rows():
        for did in range(1, n_demands + 1):
            if did <= n_whistles:
                closed_at, blown = closed[did]
                received = blown - rng.random() * 6 * H
                unit = None
                done = closed_at
            else:
                received = start + dt.timedelta(seconds=rng.random() * span)
                unit = rng.choice(unit_ids)
                done = received + rng.lognormvariate(5.57, 1.05) * H
                done = done if done < now else None
            callback = (
                done + 20 * H if done is not None and done + 20 * H < now and rng.random() < 0.8 else None
            )
            yield (
                did,
                f"B{did:011d}",
                "hotline_12345",
                "complaint",
                "诉求",
                "内容",
                "",
                "",
                "",
                "normal",
                rng.choice(street_ids),
                rng.choice(matter_ids),
                "street_code",
                "called_back" if callback else ("whistled" if unit is None else "self_handling"),
                unit,
                0,
                received,
                callback,
                (rng.random() < 0.85) if callback else None,
                rng.choice(sats) if callback else "",
            )

    def link_rows():
        for wid in range(1, n_whistles + 1):
            yield (wid, wid, wid)

    rating_cols = (
        "id",
        "whistle_id",
        "unit_id",
        "street_id",
        "cooperation",
        "initiative",
        "quality",
        "comment",
        "rated_by_id",
        "rated_at",
    )

    def rating_rows():
        rid = 0
        for wid in range(1, n_whistles + 1, 5):
            closed_at, _ = closed[wid]
            if closed_at is not None:
                rid += 1
                yield (
                    rid,
                    wid,
                    unit_ids[wid % N_UNITS],
                    street_ids[wid % N_STREETS],
                    rng.randint(2, 5),
                    rng.randint(2, 5),
                    rng.randint(2, 5),
                    "",
                    user.id,
                    closed_at + 24 * H,
                )

    yield "whistles_whistle", whistle_cols, whistle_rows()
    yield "whistles_summons", summons_cols, summons_rows()
    yield "intake_demand", demand_cols, demand_rows()
    yield "whistles_whistle_demands", ("id", "whistle_id", "demand_id"), link_rows()
    yield "evaluation_unitrating", rating_cols, rating_rows()


def _copy_text(value) -> str:
    """One field in COPY's text format (our generated values never contain tabs, newlines or backslashes)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def _pg_fast_load(tables: list[str]) -> list[str]:
    """Before COPY on PostgreSQL: skip FK triggers for this session and drop the plain (non-unique)
    indexes of the loaded tables; returns the CREATE INDEX statements to run afterwards (bulk index
    builds are much faster than row-by-row maintenance)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef NOT LIKE %s",
            [tables, "%UNIQUE%"],
        )
        found = cur.fetchall()
        for name, _definition in found:
            cur.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _load(n_demands, streets, units, matters, user, now) -> dict:
    from django.db import connection

    counts = {}
    recreate = []
    if connection.vendor == "postgresql":
        recreate = _pg_fast_load(
            [
                "whistles_whistle",
                "whistles_summons",
                "intake_demand",
                "whistles_whistle_demands",
                "evaluation_unitrating",
            ]
        )
    for table, cols, rows in _generate(n_demands, streets, units, matters, user, now):
        started = time.perf_counter()
        n = 0
        if connection.vendor == "postgresql":
            raw = connection.connection  # psycopg3 connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                lines = []
                for row in rows:
                    lines.append("\t".join(map(_copy_text, row)))
                    if len(lines) >= 50000:
                        copy.write("\n".join(lines) + "\n")
                        n += len(lines)
                        lines = []
                if lines:
                    copy.write("\n".join(lines) + "\n")
                    n += len(lines)
            raw.commit()
        else:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            batch = []
            with connection.cursor() as cur:
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 20000:
                        cur.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
                    n += len(batch)
            connection.commit()
        counts[table] = n
        _log(f"{table}: {n} rows in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cur:
            for statement in recreate:
                cur.execute(statement)
            cur.execute("SET session_replication_role = DEFAULT")
        _log(f"{len(recreate)} indexes rebuilt in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cur:
            for table in counts:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
                cur.execute(f"ANALYZE {table}")
    return counts


def _timed(fn, repeat: int = 5) -> dict:
    """Wall time and this process's CPU time (steadier on a shared machine; excludes the database server)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "first_ms": round(times[0], 1),
        "median_cpu_ms": round(statistics.median(cpu), 1),
    }


def worker(n_demands: int, reuse: bool = False) -> dict:
    """Generate (or, with reuse, keep the history already generated), roll up, time the reads."""
    import datetime as dt

    url = os.environ["DATABASE_URL"]
    if not reuse:
        fresh_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from shaobao.evaluation.indicators import Period
    from shaobao.evaluation.rollup import rollup_days, rollup_recent
    from shaobao.evaluation.scores import compute_rankings

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    _log(f"migrated in {time.perf_counter() - started:.1f} s")
    if reuse:
        from shaobao.intake.models import Demand
        from shaobao.org.models import Division, Unit, User
        from shaobao.whistles.models import Summons, Whistle

        district = Division.objects.get(level="district")
        units = list(Unit.objects.order_by("id"))
        coordinator = User.objects.get(username="coordinator")
        counts = {
            "intake_demand": Demand.objects.count(),
            "whistles_whistle": Whistle.objects.count(),
            "whistles_summons": Summons.objects.count(),
        }
        now, load_s = timezone.now(), None
    else:
        district, streets, units, matters, user, coordinator = _reference_data()
        now = timezone.now()
        started = time.perf_counter()
        counts = _load(n_demands, streets, units, matters, user, now)
        load_s = time.perf_counter() - started

    started, started_cpu = time.perf_counter(), time.process_time()
    first = (now - dt.timedelta(days=366)).date()
    run = rollup_days(first, now.date() + dt.timedelta(days=62), as_of=now)
    full_rollup_s = time.perf_counter() - started
    full_rollup_cpu = time.process_time() - started_cpu
    _log(f"full rollup: {run.rows} rows in {full_rollup_s:.1f} s")
    started = time.perf_counter()
    rollup_recent(as_of=now)
    recent_s = time.perf_counter() - started

    local_now = timezone.localtime(now)
    month = Period.month((local_now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"))
    result = compute_rankings(district, month)
    figures = {
        "database": connection.vendor,
        "rows": counts,
        "load_seconds": None if load_s is None else round(load_s, 1),
        "rollup_full_year_seconds": round(full_rollup_s, 1),
        "rollup_full_year_cpu_seconds": round(full_rollup_cpu, 1),
        "rollup_rows": run.rows,
        "rollup_recent_window_seconds": round(recent_s, 1),
        "month": month.label,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "units_ranked": len(result["units"]),
        "streets_ranked": len(result["streets"]),
        "ranking_all_units_and_streets": _timed(lambda: compute_rankings(district, month)),
        # Any other date range sums the daily rows (not the monthly ones): 30 days not aligned on a month.
        "ranking_any_30_day_range": _timed(
            lambda: compute_rankings(
                district, Period(month.first + dt.timedelta(days=10), month.last + dt.timedelta(days=10))
            ),
            repeat=3,
        ),
    }
    client = Client()
    client.force_login(coordinator)
    pages = {}
    for name, params in (
        ("evaluation:index", {"month": month.label}),
        ("evaluation:matters", {"month": month.label}),
        (
            "evaluation:drill",
            {"month": month.label, "dim": "unit", "key": units[0].id, "indicator": "on_time_rate"},
        ),
    ):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue

        def get(url=url, params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        pages[name] = _timed(get)
    figures["pages"] = pages
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--demands") + 1])
        print(json.dumps(worker(n, reuse="--reuse" in sys.argv), ensure_ascii=False))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), ensure_ascii=False, indent=2))
