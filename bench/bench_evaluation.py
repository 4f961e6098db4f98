"""Evaluation speed: monthly rankings and indicator pages over a large generated history.

`run(args)` starts one worker process per database (so each gets its own DATABASE_URL and Django setup):
- PostgreSQL: BENCH_EVAL_PG_DEMANDS demands (default 10,000,000 × --scale), whistles = 30 % of that, in
  BENCH_EVAL_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_eval, dropped, re-created
  and migrated);
- SQLite: BENCH_EVAL_SQLITE_DEMANDS (default 1,000,000 × --scale) in BENCH_EVAL_SQLITE_PATH.
The history is generated inside the database by a few INSERT … SELECT statements (`_generate_sql`; on
PostgreSQL with the loaded tables' indexes dropped and rebuilt after). Then it runs the full rollup, times
the ranking of all units and streets for the last complete month and for a 30-day range, the evaluation
pages (index, matters, drill-down) through Django's test client, and the recent-window rollup pass.
BENCH_EVAL_REUSE=1 keeps the history already generated (re-measure after a code change); with it,
BENCH_EVAL_READS_ONLY=1 skips the rollup too. BENCH_EVAL_DBS=postgresql measures one database and keeps the
other's last figures (marked `carried_from`).
Run one worker by hand: `python bench/bench_evaluation.py --worker --demands 1000000 [--reuse] [--load-only]`
(with DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database  # noqa: E402

PG_URL = os.environ.get("BENCH_EVAL_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_eval")
SQLITE_PATH = os.environ.get("BENCH_EVAL_SQLITE_PATH", "/tmp/shaobao_bench_eval.sqlite3")
VAR_DIR = os.environ.get("BENCH_EVAL_VAR_DIR", "/tmp/shaobao_bench_eval_var")
N_STREETS, N_UNITS, N_MATTERS = 30, 300, 150


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    pg_n = int(os.environ.get("BENCH_EVAL_PG_DEMANDS", 10_000_000 * scale))
    sq_n = int(os.environ.get("BENCH_EVAL_SQLITE_DEMANDS", 1_000_000 * scale))
    reuse = os.environ.get("BENCH_EVAL_REUSE") == "1"
    reads_only = reuse and os.environ.get("BENCH_EVAL_READS_ONLY") == "1"  # the rollup already done
    only = set(filter(None, os.environ.get("BENCH_EVAL_DBS", "postgresql,sqlite").split(",")))
    out = {}
    for name, url, n in (
        ("postgresql", PG_URL, pg_n),
        ("sqlite", f"sqlite:///{SQLITE_PATH}", sq_n),
    ):
        if n <= 0:
            continue
        if name not in only:
            out.update(_carried(name))
            continue
        out[name] = _worker_process(url, n, reuse, reads_only)
    return out


def _carried(name: str) -> dict:
    """A database left out of this run (BENCH_EVAL_DBS) keeps its last figures, marked with their date."""
    previous = ROOT / "bench" / "results" / "evaluation.json"
    if not previous.exists():
        return {}
    record = json.loads(previous.read_text())
    figures = record.get("figures", {}).get(name)
    if not figures:
        return {}
    return {name: {**figures, "carried_from": figures.get("carried_from") or record.get("at")}}


def _worker_process(url: str, demands: int, reuse: bool = False, reads_only: bool = False) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR=VAR_DIR, DEBUG="0", CONN_MAX_AGE="600")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--demands", str(demands)]
    if reuse:
        cmd.append("--reuse")
    if reads_only:
        cmd.append("--reads-only")
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


# ----------------------------------------------------------------------------------- set-based generator
#
# The history is generated inside the database, in a few INSERT … SELECT statements over a number series
# (generate_series on PostgreSQL, a recursive CTE on SQLite): no row crosses the client. The per-row random
# draws are stored first (temporary tables / MATERIALIZED CTEs) and the timestamps derived from the stored
# draws, so a value used twice (e.g. a whistle's close time by its summonses and its demand) is one value.
# Timestamps are computed as epoch seconds and converted once (`_ts`).


class _Dialect:
    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    def u(self) -> str:
        """A uniform draw in [0, 1)."""
        return "random()" if self.pg else "(random() / 18446744073709551616.0 + 0.5)"

    def z(self) -> str:
        """A standard normal draw (Box-Muller)."""
        return f"(sqrt(-2 * ln(1 - {self.u()})) * cos(6.283185307179586 * {self.u()}))"

    def pick(self, first: int, count: int) -> str:
        """One of the contiguous ids first .. first + count - 1."""
        return f"({first} + CAST(floor({self.u()} * {count}) AS INTEGER))"

    def series(self, name: str, n: int) -> str:
        """A CTE named `name` with one column i = 1..n."""
        if self.pg:
            return f"{name}(i) AS (SELECT generate_series(1, {int(n)}))"
        return f"{name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM {name} WHERE i < {int(n)})"

    def draws(self, name: str, select: str) -> list[str]:
        """The CTE of per-row random draws (drawn once per row however often they are referenced), or
        none on PostgreSQL, which materialises any CTE calling random() in full (spilling 10 M rows to
        disk): there `source` inlines it as a subquery fenced by OFFSET 0 (never flattened, streamed)."""
        return [] if self.pg else [f"{name} AS MATERIALIZED ({select})"]

    def source(self, name: str, select: str) -> str:
        return f"({select} OFFSET 0) {name}" if self.pg else name

    def derived(self, name: str, select: str) -> str:
        """A CTE of deterministic expressions over the draws (inlined where the database can)."""
        return f"{name} AS ({select})" if self.pg else f"{name} AS MATERIALIZED ({select})"

    def with_(self) -> str:
        return "WITH" if self.pg else "WITH RECURSIVE"

    def ts(self, epoch: str) -> str:
        if self.pg:
            return f"to_timestamp({epoch})"
        return f"strftime('%Y-%m-%d %H:%M:%f', {epoch}, 'unixepoch')"

    def code(self, i: str) -> str:
        return f"'B' || lpad({i}::text, 11, '0')" if self.pg else f"printf('B%011d', {i})"


def _ids(objs) -> tuple[int, int]:
    ids = sorted(o.id for o in objs)
    assert ids == list(range(ids[0], ids[0] + len(ids))), "the generator expects contiguous ids"
    return ids[0], len(ids)


def _fill_other_columns(model, given: tuple[str, ...]) -> tuple[list[str], list]:
    """Columns the generator does not set but the table requires (NOT NULL, e.g. a column another app
    added since): their model default, so the generator keeps working when models grow."""
    cols, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given or field.null:
            continue
        if field.has_default():
            default = field.get_default()
            cols.append(field.column)
            values.append(default if not isinstance(default, dict | list) else json.dumps(default))
    return cols, values


def _insert(cursor, d: _Dialect, model, columns: dict[str, str], source: str, ctes: list[str]) -> int:
    """INSERT INTO model's table (columns…) WITH ctes SELECT expressions FROM source; returns rows."""
    table = model._meta.db_table
    extra_cols, extra_vals = _fill_other_columns(model, tuple(columns))
    cols = list(columns) + extra_cols
    # '%' doubled: the statement goes through the driver's parameter formatting (params always a list).
    exprs = [e.replace("%", "%%") for e in columns.values()] + ["%s"] * len(extra_vals)
    source = source.replace("%", "%%")
    ctes = [c.replace("%", "%%") for c in ctes]
    with_ = f"{d.with_()} {', '.join(ctes)} " if ctes else ""
    sql = f"{with_}INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {source}"
    if not d.pg and ctes:
        # SQLite wants the WITH inside the INSERT's SELECT.
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}) {d.with_()} {', '.join(ctes)} "
            f"SELECT {', '.join(exprs)} FROM {source}"
        )
    cursor.execute(sql, extra_vals)
    return cursor.rowcount


def _generate_sql(
    cursor, d: _Dialect, n_demands: int, streets, units, matters, user, now, demand_columns=None
) -> dict:
    """Whistles (30 % of demands), their summonses, the demands, the links and the ratings.
    `demand_columns(d)` may give other expressions for some demand columns (bench_topics: phones)."""
    from shaobao.evaluation.models import UnitRating
    from shaobao.intake.models import Demand
    from shaobao.whistles.models import Summons, Whistle

    n_whistles = int(n_demands * 0.3)
    now_e = now.timestamp()
    span = 365 * 86400
    start_e = now_e - span
    s0, ns = _ids(streets)
    u0, nu = _ids(units)
    m0, nm = _ids(matters)
    H = 3600
    counts = {}
    timings = {}

    def step(name, fn):
        started = time.perf_counter()
        counts[name] = fn()
        timings[name] = round(time.perf_counter() - started, 1)
        _log(f"{name}: {counts[name]} rows in {timings[name]} s")

    # The whistles' draws: blown (uniform over the year), handling time (lognormal: median ≈ 11 days, p90 ≈
    # 41 days), closed 12 h after finishing if that is past, 0-2 supporting units (0,0,1,1,2).
    cursor.execute("DROP TABLE IF EXISTS gen_w")
    cursor.execute(
        f"CREATE TEMP TABLE gen_w AS {d.with_()} {d.series('g', n_whistles)} "
        f"SELECT i AS id, {start_e} + {d.u()} * {span} AS blown, {d.z()} AS hz, "
        f"{d.pick(s0, ns)} AS street, {d.pick(m0, nm)} AS matter, "
        f"CASE WHEN {d.u()} < 0.06 THEN 1 ELSE 0 END AS rework, "
        f"CAST(floor({d.u()} * 5) AS INTEGER) / 2 AS sup FROM g"
    )
    cursor.execute(
        "CREATE TEMP TABLE gen_wc AS SELECT id, blown, street, matter, rework, sup, "
        f"CASE WHEN blown + {H} * exp(5.57 + 1.05 * hz) + 12 * {H} < {now_e} "
        f"THEN blown + {H} * exp(5.57 + 1.05 * hz) + 12 * {H} END AS closed FROM gen_w"
    )
    cursor.execute("DROP TABLE gen_w")
    if d.pg:
        cursor.execute("ALTER TABLE gen_wc ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE gen_wc")
    else:
        cursor.execute("CREATE UNIQUE INDEX gen_wc_id ON gen_wc (id)")

    step(
        "whistles_whistle",
        lambda: _insert(
            cursor,
            d,
            Whistle,
            {
                "id": "id",
                "street_id": "street",
                "type": "'routine'",
                "matter_id": "matter",
                "state": "CASE WHEN closed IS NULL THEN 'handling' ELSE 'closed' END",
                "note": "''",
                "blown_by_id": str(user.id),
                "blown_at": d.ts("blown"),
                "closed_at": d.ts("closed"),
                "rework_count": "rework",
            },
            "gen_wc",
            [],
        ),
    )

    # Summonses: the lead and 0-2 supporting units; 2 % disputes upheld (withdrawn), 3 % more disputed;
    # report-in after a lognormal ≈ 10 h, finish after a lognormal ≈ 11 days; 5 % extended by 5 days.
    draws = (
        f"SELECT w.blown, w.id AS wid, k.k, {d.u()} AS up, {d.u()} AS dp, {d.z()} AS rz, {d.z()} AS fz, "
        f"CASE WHEN {d.u()} < 0.05 THEN 5 ELSE 0 END AS ext, {d.pick(u0, nu)} AS unit "
        "FROM gen_wc w JOIN kk k ON k.k <= w.sup"
    )
    kk = "kk(k) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2)"
    shaped = (
        "SELECT *, CASE WHEN up < 0.02 THEN NULL "
        f"  WHEN blown + {H} * exp(2.3 + rz) > {now_e} THEN NULL ELSE blown + {H} * exp(2.3 + rz) END AS rep, "
        f"CASE WHEN up < 0.02 OR blown + {H} * exp(2.3 + rz) > {now_e} "
        f"  OR blown + {H} * exp(5.57 + 1.05 * fz) > {now_e} THEN NULL "
        f"  ELSE blown + {H} * exp(5.57 + 1.05 * fz) END AS fin, "
        f"blown + (15 + ext * 1.4) * 24 * {H} AS fdue FROM {d.source('sd', draws)}"
    )
    step(
        "whistles_summons",
        lambda: _insert(
            cursor,
            d,
            Summons,
            {
                "whistle_id": "wid",
                "unit_id": "unit",
                "role": "CASE WHEN k = 0 THEN 'lead' ELSE 'supporting' END",
                "state": "CASE WHEN up < 0.02 THEN 'withdrawn' WHEN rep IS NULL THEN 'summoned' "
                "WHEN fin IS NULL THEN 'reported_in' ELSE 'finished' END",
                "summoned_at": d.ts("blown"),
                "report_in_due": d.ts(f"blown + 24 * {H}"),
                "report_in_warn_at": d.ts(f"blown + 18 * {H}"),
                "finish_due": d.ts("fdue"),
                "finish_warn_at": d.ts(f"fdue - 72 * {H}"),
                "reported_in_at": d.ts("rep"),
                "finished_at": d.ts("fin"),
                "dispute_reason": "CASE WHEN up < 0.02 OR dp < 0.03 THEN '不属于本单位职责' ELSE '' END",
                "extension_days": "ext",
            },
            "ss",
            [kk, *d.draws("sd", draws), d.derived("ss", shaped)],
        ),
    )

    # Demands: the first n_whistles went to whistle i (received up to 6 h before it, done when it closed);
    # the rest were self-handled by a street unit. 80 % of the done ones were called back 20 h later.
    sats = (
        "CASE WHEN sq < 0.6 THEN 'satisfied' WHEN sq < 0.9 THEN 'basically_satisfied' ELSE 'unsatisfied' END"
    )
    ddraws = (
        f"SELECT g.i, w.blown, w.closed, {d.u()} AS ru, {d.z()} AS dz, {d.u()} AS cb, {d.u()} AS so, "
        f"{d.u()} AS sq, {d.pick(u0, nu)} AS unit, {d.pick(s0, ns)} AS street, {d.pick(m0, nm)} AS matter "
        "FROM g LEFT JOIN gen_wc w ON w.id = g.i"
    )
    dshaped = (
        "SELECT *, CASE WHEN blown IS NOT NULL THEN blown - ru * 6 * 3600 "
        f"  ELSE {start_e} + ru * {span} END AS rec, "
        "CASE WHEN blown IS NOT NULL THEN closed "
        f"  WHEN {start_e} + ru * {span} + {H} * exp(5.57 + 1.05 * dz) < {now_e} "
        f"  THEN {start_e} + ru * {span} + {H} * exp(5.57 + 1.05 * dz) END AS done "
        f"FROM {d.source('dd', ddraws)}"
    )
    dcall = (
        f"SELECT *, CASE WHEN done + 20 * {H} < {now_e} AND cb < 0.8 THEN done + 20 * {H} END AS cba FROM ds"
    )
    step(
        "intake_demand",
        lambda: _insert(
            cursor,
            d,
            Demand,
            {
                "id": "i",
                "tracking_code": d.code("i"),
                "channel": "'hotline_12345'",
                "kind": "'complaint'",
                "subject": "'诉求'",
                "body": "'内容'",
                "reporter_name": "''",
                "reporter_phone": "''",
                "address": "''",
                "urgency": "'normal'",
                "street_id": "street",
                "matter_id": "matter",
                "placement_source": "'street_code'",
                "state": "CASE WHEN cba IS NOT NULL THEN 'called_back' "
                "WHEN blown IS NOT NULL THEN 'whistled' ELSE 'self_handling' END",
                "assigned_unit_id": "CASE WHEN blown IS NULL THEN unit END",
                "rework_count": "0",
                "received_at": d.ts("rec"),
                "called_back_at": d.ts("cba"),
                "solved": "CASE WHEN cba IS NOT NULL THEN (so < 0.85) END",
                "satisfaction": f"CASE WHEN cba IS NOT NULL THEN {sats} ELSE '' END",
                **(demand_columns(d) if demand_columns else {}),
            },
            "dc",
            [
                d.series("g", n_demands),
                *d.draws("dd", ddraws),
                d.derived("ds", dshaped),
                d.derived("dc", dcall),
            ],
        ),
    )
    link = Whistle.demands.through
    step(
        link._meta.db_table,
        lambda: _insert(cursor, d, link, {"whistle_id": "id", "demand_id": "id"}, "gen_wc", []),
    )
    step(
        "evaluation_unitrating",
        lambda: _insert(
            cursor,
            d,
            UnitRating,
            {
                "whistle_id": "id",
                "unit_id": f"{u0} + id % {nu}",
                "street_id": f"{s0} + id % {ns}",
                "cooperation": f"2 + CAST(floor({d.u()} * 4) AS INTEGER)",
                "initiative": f"2 + CAST(floor({d.u()} * 4) AS INTEGER)",
                "quality": f"2 + CAST(floor({d.u()} * 4) AS INTEGER)",
                "comment": "''",
                "rated_by_id": str(user.id),
                "rated_at": d.ts(f"closed + 24 * {H}"),
            },
            "gen_wc WHERE id % 5 = 1 AND closed IS NOT NULL",
            [],
        ),
    )
    cursor.execute("DROP TABLE gen_wc")
    return counts, timings


LOADED_TABLES = [
    "whistles_whistle",
    "whistles_summons",
    "intake_demand",
    "whistles_whistle_demands",
    "evaluation_unitrating",
]


def _pg_fast_load(tables: list[str]) -> list[str]:
    """Before loading on PostgreSQL: skip FK triggers for this session and drop every index of the loaded
    tables but their primary keys (unique constraints too); returns the statements that re-create them
    afterwards (one bulk index build is much faster than maintaining it row by row)."""
    from django.db import connection

    recreate = []
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        for table, name, definition in cur.fetchall():
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary",
            [tables],
        )
        for name, definition in cur.fetchall():
            cur.execute(f"DROP INDEX {name}")
            recreate.append(definition)
    return recreate


def _load(n_demands, streets, units, matters, user, now, demand_columns=None) -> tuple[dict, dict]:
    """Generate the history in the database; on PostgreSQL without indexes, which are rebuilt after."""
    from django.db import connection, transaction

    recreate = []
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        if pg:
            recreate = _pg_fast_load(LOADED_TABLES)
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET work_mem = '256MB'")
            cur.execute("SET maintenance_work_mem = '1GB'")
        with transaction.atomic():
            counts, timings = _generate_sql(
                cur,
                _Dialect(connection.vendor),
                n_demands,
                streets,
                units,
                matters,
                user,
                now,
                demand_columns,
            )
        if pg:
            started = time.perf_counter()
            for statement in recreate:
                cur.execute(statement)
            cur.execute("SET session_replication_role = DEFAULT")
            timings["indexes"] = round(time.perf_counter() - started, 1)
            _log(f"{len(recreate)} indexes rebuilt in {timings['indexes']} s")
        started = time.perf_counter()
        for table in LOADED_TABLES:
            if pg:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
                cur.execute(f"VACUUM ANALYZE {table}")
            else:
                cur.execute(f"ANALYZE {table}")
        timings["analyze"] = round(time.perf_counter() - started, 1)
        _log(f"vacuum/analyze in {timings['analyze']} s")
    return counts, timings


def _backend_cpu_s() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine: /proc), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(fn, repeat: int = 5) -> dict:
    """Wall time, this process's CPU time and the PostgreSQL backend's CPU time (steadier than the wall
    clock on a shared machine). The worker keeps its connection (CONN_MAX_AGE), so the backend is one."""
    times, cpu, db_cpu = [], [], []
    for _ in range(repeat):
        db_before = _backend_cpu_s()
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        db_after = _backend_cpu_s()
        if db_before is not None and db_after is not None:
            db_cpu.append((db_after - db_before) * 1000)
    out = {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "first_ms": round(times[0], 1),
        "median_cpu_ms": round(statistics.median(cpu), 1),
    }
    if db_cpu:
        out["median_db_cpu_ms"] = round(statistics.median(db_cpu), 1)  # 10 ms clock ticks
    return out


def worker(n_demands: int, reuse: bool = False, load_only: bool = False, reads_only: bool = False) -> dict:
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
        now, load_s, load_steps = timezone.now(), None, None
    else:
        district, streets, units, matters, user, coordinator = _reference_data()
        now = timezone.now()
        started = time.perf_counter()
        counts, load_steps = _load(n_demands, streets, units, matters, user, now)
        load_s = time.perf_counter() - started
        _log(f"loaded in {load_s:.1f} s")
        if load_only:
            return {
                "rows": counts,
                "load_seconds": round(load_s, 1),
                "load_steps_seconds": load_steps,
                "load_average_1min": round(os.getloadavg()[0], 1),
            }

    figures_rollup = {}
    if not reads_only:
        started, started_cpu = time.perf_counter(), time.process_time()
        db_before = _backend_cpu_s()
        first = (now - dt.timedelta(days=366)).date()
        run = rollup_days(first, now.date() + dt.timedelta(days=62), as_of=now)
        db_after = _backend_cpu_s()
        figures_rollup = {
            "rollup_full_year_seconds": round(time.perf_counter() - started, 1),
            "rollup_full_year_cpu_seconds": round(time.process_time() - started_cpu, 1),
            "rollup_full_year_db_cpu_seconds": None
            if db_before is None or db_after is None
            else round(db_after - db_before, 1),
            "rollup_rows": run.rows,
            "load_average_after_rollup": [round(x, 1) for x in os.getloadavg()],
        }
        _log(f"full rollup: {figures_rollup}")
        started = time.perf_counter()
        rollup_recent(as_of=now)
        figures_rollup["rollup_recent_window_seconds"] = round(time.perf_counter() - started, 1)
        _log(f"recent window rollup: {figures_rollup['rollup_recent_window_seconds']} s")

    local_now = timezone.localtime(now)
    month = Period.month((local_now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"))
    result = compute_rankings(district, month)
    figures = {
        "database": connection.vendor,
        "rows": counts,
        "load_seconds": None if load_s is None else round(load_s, 1),
        "load_steps_seconds": load_steps,
        **figures_rollup,
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
    drill = {"month": month.label, "dim": "unit", "key": units[0].id}
    for label, name, params in (
        ("evaluation:index", "evaluation:index", {"month": month.label}),
        ("evaluation:matters", "evaluation:matters", {"month": month.label}),
        ("evaluation:drill", "evaluation:drill", {**drill, "indicator": "on_time_rate"}),
        ("evaluation:drill demands", "evaluation:drill", {**drill, "indicator": "resolution_rate"}),
    ):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue

        def get(url=url, params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        pages[label] = _timed(get)
    figures["pages"] = pages
    figures["load_average_after_reads"] = [round(x, 1) for x in os.getloadavg()]
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--demands") + 1])
        figures = worker(
            n,
            reuse="--reuse" in sys.argv,
            load_only="--load-only" in sys.argv,
            reads_only="--reads-only" in sys.argv,  # with --reuse: the rollup already done
        )
        print(json.dumps(figures, ensure_ascii=False))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), ensure_ascii=False, indent=2))
