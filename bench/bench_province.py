"""Province scale (issue 13 §3): a province's organisation and years of history on PostgreSQL, then the reads
people wait for and the intake rate.

Sizes (PostgreSQL only; SQLite is a single-district database):
- `make bench` (CI-sized): a small province — 2 cities, 4 counties, 40 townships, 400 villages, 4,000 grids,
  5,400 grid workers — and BENCH_PROVINCE_DEMANDS demands (default 200,000 × --scale) over five years;
- `make bench-province` (BENCH_PROVINCE_FULL=1): the full organisation — 16 cities, 129 counties, 1,426
  townships, 14,000 villages, 398,000 grids, 540,000 grid workers — and BENCH_PROVINCE_DEMANDS demands
  (default 25,000,000: what this machine's disk and a 40-minute load allow; docs/scale.md).
Each run keeps its figures under its size in bench/results/province.json ("runs"), so figures at two sizes
sit side by side (the timed reads must not grow with the history); "postgresql" is the largest full-org run
(or the CI-sized one when there is none).

The history is generated inside the database (INSERT … SELECT over generate_series, indexes dropped and
rebuilt, as bench_evaluation does): demands spread uniformly over the townships and five years, their state
from a lognormal handling time (median 11 days, so ~1 % of five years' demands are open at any time), one in
ten whistled with a lead summons (a third with a supporting one too), the audit events (receipt, the end, the
whistle) in the monthly partitions of core_event. Earlier sweeps are replayed as claims: the timed sweep pass
does the last hour's work over all open summonses, the second pass is the steady state (nothing new due).

Timed (Django's test client / the actions, in a worker process with its own DATABASE_URL): demands received
through `do_receive_demand` (one process, sequential), a township dispatcher's demand list (first page, a
state filter, a search of the last year and of all time, a deep page) and a demand's page — also in a mass
event, the township's demands of the month topped up to 10,000 (2,000 small) reposts of one problem — a
county's board (/platform/), a month's ranking of a county's units and streets and the city's ranking page,
the deadline sweep. BENCH_PROVINCE_REUSE=1 keeps
the generated history (re-measure after a code change). By hand:
`DATABASE_URL=… python bench/bench_province.py --worker --demands 200000 [--full] [--reuse]`.
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
sys.path.insert(0, str(ROOT))
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_PROVINCE_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_province")
VAR_DIR = os.environ.get("BENCH_PROVINCE_VAR_DIR", "/tmp/shaobao_bench_province_var")
FULL = {
    "cities": 16,
    "counties": 129,
    "townships": 1426,
    "villages": 14000,
    "grids": 398000,
    "workers": 540000,
}
SMALL = {"cities": 2, "counties": 4, "townships": 40, "villages": 400, "grids": 4000, "workers": 5400}
UNITS_PER_COUNTY, MATTERS_PER_COUNTY = 40, 60
YEARS = 5
WHISTLED_EVERY = 10  # one demand in ten is whistled


def run(args) -> dict:
    if not pg_answers():
        return {"skipped": "PostgreSQL does not answer on 127.0.0.1:5432"}
    scale = getattr(args, "scale", 1.0) or 1.0
    full = os.environ.get("BENCH_PROVINCE_FULL") == "1"
    default = 25_000_000 if full else int(200_000 * scale)
    demands = int(os.environ.get("BENCH_PROVINCE_DEMANDS", default))
    reuse = os.environ.get("BENCH_PROVINCE_REUSE") == "1"
    env = dict(os.environ, DATABASE_URL=PG_URL, SHAOBAO_VAR_DIR=VAR_DIR, DEBUG="0", CONN_MAX_AGE="600")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--demands", str(demands)]
    cmd += ["--full"] if full else []
    cmd += ["--reuse"] if reuse else []
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-3000:])
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return _merged(figures)


def _merged(latest: dict) -> dict:
    """Keep every size's last figures ("runs"); "postgresql" shows the largest full-organisation run."""
    previous = ROOT / "bench" / "results" / "province.json"
    runs = {}
    if previous.exists():
        runs = json.loads(previous.read_text()).get("figures", {}).get("runs", {})
    earlier = runs.get(latest["size"], {})
    if latest.get("load_seconds") is None:  # a re-measure (BENCH_PROVINCE_REUSE): the load's figures stay
        for key in ("load_seconds", "load_steps_seconds", "rows", "loaded_at"):
            if earlier.get(key) is not None:
                latest[key] = earlier[key]
    runs[latest["size"]] = latest
    # The summary shows the largest full-organisation run (the small one when there is none).
    full_runs = [r for r in runs.values() if r.get("organisation") == "full" and r.get("reads")]
    shown = max(full_runs, key=lambda r: r.get("demands", 0)) if full_runs else latest
    return {"postgresql": shown, "runs": runs}


# ---------------------------------------------------------------------------------------------- worker


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _insert(cur, model, columns: dict[str, str], source: str, ctes: tuple[str, ...] = ()) -> int:
    from bench.bench_evaluation import _Dialect, _insert

    return _insert(cur, _Dialect("postgresql"), model, columns, source, list(ctes))


def _step(timings: dict, counts: dict, name: str, fn) -> None:
    started = time.perf_counter()
    counts[name] = fn()
    timings[name] = round(time.perf_counter() - started, 1)
    _log(f"{name}: {counts[name]} rows in {timings[name]} s")


def _organisation(cur, org: dict, timings: dict, counts: dict) -> None:
    """Province, cities, counties, townships, villages (12-digit codes), grids, users and memberships."""
    from shaobao.duties.models import Domain, DutyList, Matter
    from shaobao.households.models import GridWorker
    from shaobao.org.models import Division, Grid, Membership, Unit, User

    _insert(
        cur, Division, {"code": "'370000000000'", "name": "'山东省'", "level": "'province'"}, "(SELECT 1) x"
    )
    # Each level's rows in contiguous blocks under their parents (child i → parent i * n_parents / n), so a
    # parent's children have contiguous ids: the demands pick a township's village or grid by arithmetic.
    levels = [
        ("city", "cities", 2, 2, "市"),
        ("district", "counties", 4, 2, "县"),
        ("street", "townships", 6, 3, "镇"),
        ("community", "villages", 9, 3, "村"),
    ]
    parent_level, parents = "province", 1
    for level, key, keep, width, word in levels:
        n = org[key]
        pad = 12 - keep - width
        source = (
            f"(SELECT p.id AS pid, p.code AS pcode, s.n FROM (SELECT i, i * {parents} / {n} AS pidx, "
            f"row_number() OVER (PARTITION BY i * {parents} / {n} ORDER BY i) AS n "
            f"FROM generate_series(0::bigint, {n - 1}) i) s JOIN (SELECT id, code, row_number() OVER (ORDER BY id) - 1 "
            f"AS idx FROM org_division WHERE level = '{parent_level}') p ON p.idx = s.pidx ORDER BY s.i) x"
        )
        code = f"substr(pcode, 1, {keep}) || lpad(n::text, {width}, '0') || repeat('0', {pad})"
        _step(
            timings,
            counts,
            f"org_division ({level})",
            lambda code=code, level=level, word=word, source=source: _insert(
                cur,
                Division,
                {"code": code, "name": f"'{word}' || {code}", "level": f"'{level}'", "parent_id": "pid"},
                source,
            ),
        )
        parent_level, parents = level, n
    cur.execute(
        "CREATE TEMP TABLE gen_village AS SELECT id, code, parent_id, row_number() OVER (ORDER BY id) - 1 AS idx "
        "FROM org_division WHERE level = 'community'"
    )
    nv, ng = org["villages"], org["grids"]
    square = (
        "jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array("
        "jsonb_build_array(x, y), jsonb_build_array(x + 0.002, y), jsonb_build_array(x + 0.002, y + 0.002), "
        "jsonb_build_array(x, y + 0.002), jsonb_build_array(x, y))))"
    )
    _step(
        timings,
        counts,
        "org_grid",
        lambda: _insert(
            cur,
            Grid,
            {
                "code": "v.code || '-' || lpad(s.n::text, 3, '0')",
                "name": "'网格' || s.i",
                "community_id": "v.id",
                "geometry": square,
                "min_lng": "x",
                "min_lat": "y",
                "max_lng": "x + 0.002",
                "max_lat": "y + 0.002",
                "updated_at": "now()",
            },
            f"(SELECT i, i * {nv} / {ng} AS vidx, row_number() OVER (PARTITION BY i * {nv} / {ng} ORDER BY i) AS n, "
            f"115 + (i % 1000) * 0.002 AS x, 34.4 + (i / 1000) * 0.002 AS y FROM generate_series(0::bigint, {ng - 1}) i) s "
            "JOIN gen_village v ON v.idx = s.vidx ORDER BY s.i",
        ),
    )
    user_cols = {
        "password": "'!'",
        "is_superuser": "false",
        "is_staff": "false",
        "is_active": "true",
        "first_name": "''",
        "last_name": "''",
        "email": "''",
        "phone": "''",
        "date_joined": "now()",
    }
    nw = org["workers"]
    _step(
        timings,
        counts,
        "org_user (grid workers)",
        lambda: _insert(
            cur, User, {"username": "'gw' || i", **user_cols}, f"generate_series(1, {nw}) i ORDER BY i"
        ),
    )
    cur.execute(
        "CREATE TEMP TABLE gen_grid AS SELECT g.id, v.parent_id AS street_id, row_number() OVER (ORDER BY g.id) - 1 "
        "AS idx FROM org_grid g JOIN org_division v ON v.id = g.community_id"
    )
    cur.execute("ALTER TABLE gen_grid ADD PRIMARY KEY (idx)")
    _step(
        timings,
        counts,
        "households_gridworker",
        lambda: _insert(
            cur,
            GridWorker,
            {
                "user_id": "u.id",
                "grid_id": "g.id",
                "street_id": "g.street_id",
                "kind": "CASE WHEN u.id % 4 = 0 THEN 'part_time' ELSE 'full_time' END",
                "since": "current_date - (u.id % 2000)::int",
                "is_active": "true",
            },
            f"(SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM org_user WHERE username LIKE 'gw%') u "
            f"JOIN gen_grid g ON g.idx = u.idx * {ng} / {nw}",
        ),
    )
    _step(
        timings,
        counts,
        "org_membership (grid workers)",
        lambda: _insert(
            cur,
            Membership,
            {"user_id": "user_id", "role": "'grid_worker'", "division_id": "street_id"},
            "households_gridworker",
        ),
    )
    # Units: 40 departments per county (contiguous ids per county), a section per township.
    _step(
        timings,
        counts,
        "org_unit",
        lambda: _insert(
            cur,
            Unit,
            {
                "code": "'U' || substr(d.code, 1, 6) || lpad(k::text, 2, '0')",
                "name": "d.name || '部门' || k",
                "kind": "'department'",
                "division_id": "d.id",
            },
            f"org_division d CROSS JOIN generate_series(1, {UNITS_PER_COUNTY}) k WHERE d.level = 'district' "
            "ORDER BY d.id, k",
        ),
    )
    domain = Domain.objects.create(code="CSGL", name="城市管理")
    _step(
        timings,
        counts,
        "duties_dutylist",
        lambda: _insert(
            cur,
            DutyList,
            {
                "district_id": "id",
                "name": "name || '清单'",
                "version": "1",
                "status": "'published'",
                "created_at": "now()",
                "published_at": "now()",
            },
            "org_division WHERE level = 'district' ORDER BY id",
        ),
    )
    _step(
        timings,
        counts,
        "duties_matter",
        lambda: _insert(
            cur,
            Matter,
            {
                "duty_list_id": "l.id",
                "code": "'M' || lpad(k::text, 3, '0')",
                "name": "'事项' || k",
                "description": "''",
                "domain_id": str(domain.id),
                "lead_unit_id": f"(SELECT min(id) FROM org_unit WHERE division_id = l.district_id) + k % "
                f"{UNITS_PER_COUNTY}",
                "time_limit": "7",
                "time_limit_unit": "'working_days'",
            },
            f"duties_dutylist l CROSS JOIN generate_series(1, {MATTERS_PER_COUNTY}) k ORDER BY l.id, k",
        ),
    )
    # The people the reads are timed as: a dispatcher per township, a coordinator per county, a city
    # coordinator per city, a handler per department.
    for username, role, level in (
        ("'disp' || d.code", "street_dispatcher", "street"),
        ("'coord' || d.code", "district_coordinator", "district"),
        ("'city' || d.code", "city_coordinator", "city"),
        ("'handler' || u.code", "unit_handler", None),
    ):
        src = "org_unit u JOIN org_division d ON d.id = u.division_id" if level is None else "org_division d"
        where = "" if level is None else f" WHERE d.level = '{level}'"
        _insert(cur, User, {"username": username, **user_cols}, src + where)
        _step(
            timings,
            counts,
            f"org_membership ({role})",
            lambda username=username, role=role, src=src, where=where, level=level: _insert(
                cur,
                Membership,
                {
                    "user_id": "x.id",
                    "role": f"'{role}'",
                    "division_id": "d.id",
                    **({"unit_id": "u.id"} if level is None else {}),
                },
                f"{src} JOIN org_user x ON x.username = {username}{where}",
            ),
        )


def _street_map(cur) -> int:
    """gen_street: per township (idx 0..n-1) its id, county, the first id and count of its villages, grids,
    its county's units and matters — so a demand's places are picked by arithmetic."""
    cur.execute(
        "CREATE TEMP TABLE gen_street AS "
        "WITH v AS (SELECT parent_id AS sid, min(id) AS v0, max(id) AS v1, count(*) AS nv FROM org_division "
        "  WHERE level = 'community' GROUP BY parent_id), "
        "g AS (SELECT v.parent_id AS sid, min(g.id) AS g0, max(g.id) AS g1, count(*) AS ng FROM org_grid g "
        "  JOIN org_division v ON v.id = g.community_id GROUP BY v.parent_id), "
        "u AS (SELECT division_id AS cid, min(id) AS u0 FROM org_unit GROUP BY division_id), "
        "m AS (SELECT l.district_id AS cid, min(m.id) AS m0 FROM duties_matter m "
        "  JOIN duties_dutylist l ON l.id = m.duty_list_id GROUP BY l.district_id) "
        "SELECT s.id AS street_id, row_number() OVER (ORDER BY s.id) - 1 AS idx, s.parent_id AS county_id, "
        "v.v0, v.v1, v.nv, g.g0, g.g1, g.ng, u.u0, m.m0 FROM org_division s JOIN v ON v.sid = s.id "
        "JOIN g ON g.sid = s.id JOIN u ON u.cid = s.parent_id JOIN m ON m.cid = s.parent_id "
        "WHERE s.level = 'street'"
    )
    cur.execute("ALTER TABLE gen_street ADD PRIMARY KEY (idx)")
    cur.execute("CREATE INDEX ON gen_street (street_id)")
    cur.execute("ANALYZE gen_street")
    cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE v1 - v0 + 1 <> nv OR g1 - g0 + 1 <> ng) FROM gen_street"
    )
    n, gaps = cur.fetchone()
    assert n and not gaps, "the generator expects each township's villages and grids in contiguous ids"
    return n


SUBJECTS = [
    "路灯不亮",
    "垃圾清运不及时",
    "占道经营",
    "噪音扰民",
    "污水外溢",
    "违章停车",
    "楼道堆物",
    "供暖不热",
]


def _history(cur, n: int, now, timings: dict, counts: dict) -> None:
    """Demands, whistles, summonses, links, claims of earlier sweeps, the audit events."""
    from shaobao.core.models import Event
    from shaobao.intake.models import Demand
    from shaobao.org.models import User
    from shaobao.whistles.models import Summons, SummonsClaim, Whistle

    nt = _street_map(cur)
    blower = User.objects.filter(username__startswith="disp").order_by("id").first()
    now_e = now.timestamp()
    span = YEARS * 365 * 86400
    start_e = now_e - span
    H = 3600
    subjects = "ARRAY[" + ", ".join(f"'{s}'" for s in SUBJECTS) + "]"
    draws = (
        f"SELECT i, {start_e} + random() * {span} AS rec, "
        "sqrt(-2 * ln(1 - random())) * cos(6.283185307179586 * random()) AS z, "
        f"floor(random() * {nt})::int AS sidx, random() AS u1, random() AS u2, random() AS u3 "
        f"FROM generate_series(1::bigint, {n}) i OFFSET 0"
    )
    shaped = (
        f"SELECT d.*, s.*, CASE WHEN rec + {H} * exp(5.57 + 1.05 * z) < {now_e} "
        f"THEN rec + {H} * exp(5.57 + 1.05 * z) END AS done FROM ({draws}) d JOIN gen_street s ON s.idx = d.sidx"
    )
    called = f"done IS NOT NULL AND u2 < 0.8 AND done + 20 * {H} < {now_e}"
    state = (
        f"CASE WHEN {called} THEN 'called_back' WHEN done IS NOT NULL THEN 'closed' "
        f"WHEN i % {WHISTLED_EVERY} = 0 THEN 'whistled' WHEN u2 < 0.1 THEN 'received' ELSE 'self_handling' END"
    )
    _step(
        timings,
        counts,
        "intake_demand",
        lambda: _insert(
            cur,
            Demand,
            {
                "id": "i",
                "tracking_code": "'P' || lpad(i::text, 11, '0')",
                "channel": "CASE WHEN u3 < 0.7 THEN 'hotline_12345' ELSE 'grid_patrol' END",
                "kind": "'complaint'",
                "subject": f"({subjects})[1 + (i % {len(SUBJECTS)})]",
                "body": f"({subjects})[1 + (i % {len(SUBJECTS)})] || '，请尽快处理。编号' || i",
                "reporter_name": "'居民'",
                "reporter_phone": "'138' || lpad((i * 7919 % 100000000)::text, 8, '0')",
                "address": "'幸福路' || (i % 997) || '号'",
                "urgency": "'normal'",
                "street_id": "street_id",
                "community_id": "v0 + floor(u1 * nv)::int",
                "grid_id": "g0 + floor(u3 * ng)::int",
                "placement_source": "'street_code'",
                "placement_confidence": "1",
                "matter_id": f"m0 + i % {MATTERS_PER_COUNTY}",
                "state": state,
                "assigned_unit_id": f"CASE WHEN i % {WHISTLED_EVERY} <> 0 AND u2 >= 0.1 "
                f"THEN u0 + i % {UNITS_PER_COUNTY} END",
                "rework_count": "0",
                "received_at": "to_timestamp(rec)",
                "due_at": f"to_timestamp(rec + 7 * 24 * {H})",
                "handled_at": "to_timestamp(done)",
                "closed_at": "to_timestamp(done)",
                "called_back_at": f"CASE WHEN {called} THEN to_timestamp(done + 20 * {H}) END",
                "solved": f"CASE WHEN {called} THEN u1 < 0.85 END",
                "satisfaction": f"CASE WHEN {called} THEN CASE WHEN u3 < 0.6 THEN 'satisfied' "
                "WHEN u3 < 0.9 THEN 'basically_satisfied' ELSE 'unsatisfied' END ELSE '' END",
            },
            f"({shaped}) x",
        ),
    )
    # Whistles: demand i (i % 10 = 0) → whistle i / 10, blown 2 h after receipt, closed with the demand.
    whistled = f"intake_demand d WHERE d.id % {WHISTLED_EVERY} = 0"
    _step(
        timings,
        counts,
        "whistles_whistle",
        lambda: _insert(
            cur,
            Whistle,
            {
                "id": f"d.id / {WHISTLED_EVERY}",
                "street_id": "d.street_id",
                "type": "'routine'",
                "matter_id": "d.matter_id",
                "state": "CASE WHEN d.closed_at IS NULL THEN 'handling' ELSE 'closed' END",
                "note": "''",
                "blown_by_id": str(blower.id),
                "blown_at": "d.received_at + interval '2 hours'",
                "fed_back_at": "d.closed_at - interval '12 hours'",
                "closed_at": "d.closed_at",
                "rework_count": "0",
            },
            whistled,
        ),
    )
    link = Whistle.demands.through
    _step(
        timings,
        counts,
        link._meta.db_table,
        lambda: _insert(cur, link, {"whistle_id": f"d.id / {WHISTLED_EVERY}", "demand_id": "d.id"}, whistled),
    )
    # Summonses: the lead, and a supporting unit for one whistle in three; reported in after a lognormal
    # ≈ 10 h; finish due 10 days after the whistle.
    sdraws = (
        "SELECT w.id AS wid, w.blown_at, w.closed_at, w.street_id, k.k, "
        f"extract(epoch FROM w.blown_at) + {H} * exp(2.3 + sqrt(-2 * ln(1 - random())) * "
        "cos(6.283185307179586 * random())) AS rep, "
        f"s.u0 + (w.id + k.k) % {UNITS_PER_COUNTY} AS unit FROM whistles_whistle w "
        "JOIN gen_street s ON s.street_id = w.street_id "
        "JOIN generate_series(0, 1) k(k) ON k.k = 0 OR w.id % 3 = 0"
    )
    _step(
        timings,
        counts,
        "whistles_summons",
        lambda: _insert(
            cur,
            Summons,
            {
                "whistle_id": "wid",
                "unit_id": "unit",
                "role": "CASE WHEN k = 0 THEN 'lead' ELSE 'supporting' END",
                "state": f"CASE WHEN closed_at IS NOT NULL THEN 'finished' WHEN rep < {now_e} "
                "THEN 'reported_in' ELSE 'summoned' END",
                "summoned_at": "blown_at",
                "report_in_due": "blown_at + interval '24 hours'",
                "report_in_warn_at": "blown_at + interval '18 hours'",
                "finish_due": "blown_at + interval '10 days'",
                "finish_warn_at": "blown_at + interval '7 days'",
                "reported_in_at": f"CASE WHEN rep < {now_e} OR closed_at IS NOT NULL "
                "THEN least(to_timestamp(rep), coalesce(closed_at, to_timestamp(rep))) END",
                "finished_at": "closed_at - interval '12 hours'",
                "dispute_reason": "''",
                "extension_days": "0",
            },
            f"({sdraws} OFFSET 0) x",
        ),
    )
    # Earlier sweeps' claims: every stage whose deadline passed more than an hour ago was handled then.
    cutoff = f"to_timestamp({now_e - H})"
    claims = []
    for stage, column, states in (
        ("report_in_warning", "report_in_warn_at", "('summoned')"),
        ("report_in_overdue", "report_in_due", "('summoned')"),
        ("finish_warning", "finish_warn_at", "('summoned', 'reported_in')"),
        ("finish_overdue", "finish_due", "('summoned', 'reported_in')"),
    ):
        claims.append(
            f"SELECT id, '{stage}' AS stage, {column} AS at FROM whistles_summons "
            f"WHERE state IN {states} AND {column} <= {cutoff}"
        )
    _step(
        timings,
        counts,
        "whistles_summonsclaim",
        lambda: _insert(
            cur,
            SummonsClaim,
            {"summons_id": "id", "stage": "stage", "claimed_at": "at"},
            f"({' UNION ALL '.join(claims)}) c",
        ),
    )
    # The audit record: each demand's receipt and end, each whistle's blowing (core_event's monthly
    # partitions, made for the five years first).
    events = (
        "SELECT 'intake.demand' AS st, id AS sid, 'receive' AS act, received_at AS at, '' AS fs, "
        "'received' AS ts, created_by_id AS actor FROM intake_demand "
        "UNION ALL SELECT 'intake.demand', id, 'close', closed_at, 'self_handling', state, NULL "
        "FROM intake_demand WHERE closed_at IS NOT NULL "
        f"UNION ALL SELECT 'whistles.whistle', id, 'blow', blown_at, '', 'handling', {blower.id} "
        "FROM whistles_whistle"
    )
    _step(
        timings,
        counts,
        "core_event",
        lambda: _insert(
            cur,
            Event,
            {
                "subject_type": "st",
                "subject_id": "sid",
                "action": "act",
                "at": "at",
                "from_state": "fs",
                "to_state": "ts",
                "note": "''",
                "data": "'{}'::jsonb",
                "actor_id": "actor",
            },
            f"({events}) e",
        ),
    )


LOADED = [
    "org_division",
    "org_grid",
    "org_user",
    "org_membership",
    "households_gridworker",
    "intake_demand",
    "whistles_whistle",
    "whistles_whistle_demands",
    "whistles_summons",
    "whistles_summonsclaim",
    "core_event",
]


def _load(org: dict, n: int, now) -> tuple[dict, dict]:
    import datetime as dt

    from django.db import connection, transaction

    from bench.bench_evaluation import _pg_fast_load
    from shaobao.core import partitions

    partitions.ensure_partitions(since=(now - dt.timedelta(days=YEARS * 365 + 31)).date())
    timings, counts = {}, {}
    with connection.cursor() as cur:
        # A partitioned table's index is re-created on the parent (all partitions), not ON ONLY the parent.
        recreate = [s.replace(" ON ONLY ", " ON ", 1) for s in _pg_fast_load(LOADED)]
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 1")
        with transaction.atomic():
            _organisation(cur, org, timings, counts)
        _log("organisation committed")
        with transaction.atomic():
            _history(cur, n, now, timings, counts)
        started = time.perf_counter()
        for statement in recreate:
            cur.execute(statement)
        cur.execute("SET session_replication_role = DEFAULT")
        timings["indexes"] = round(time.perf_counter() - started, 1)
        _log(f"{len(recreate)} indexes rebuilt in {timings['indexes']} s")
        started = time.perf_counter()
        for table in LOADED:
            if table not in ("whistles_summonsclaim", "whistles_whistle_demands"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            cur.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum_analyze"] = round(time.perf_counter() - started, 1)
        _log(f"vacuum/analyze in {timings['vacuum_analyze']} s")
    return counts, timings


def _sizes() -> dict:
    """Bytes on disk: the database and its largest tables (with their indexes and partitions)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        total = cur.fetchone()[0]
        cur.execute(
            "SELECT c.relname, sum(pg_total_relation_size(coalesce(i.inhrelid, c.oid))) FROM pg_class c "
            "LEFT JOIN pg_inherits i ON i.inhparent = c.oid WHERE c.relkind IN ('r', 'p') "
            "AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition "
            "GROUP BY c.relname ORDER BY 2 DESC LIMIT 8"
        )
        tables = {name: round(float(size) / 1e9, 2) for name, size in cur.fetchall()}
    return {"database_gb": round(total / 1e9, 2), "largest_tables_gb": tables}


def _timed(fn, repeat: int = 7) -> dict:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "first_ms": round(times[0], 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "max_ms": round(times[-1], 1),
    }


def _timed_each(fn, args: list) -> dict:
    """One call per argument (different rows, so no cache of one row flatters the figure)."""
    times = []
    for a in args:
        started = time.perf_counter()
        fn(a)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "calls": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "max_ms": round(times[-1], 1),
    }


def _post_demands(port: int, token: str, street_code: str, points, ids, latencies, failures) -> None:
    """One client: POST /api/v1/demands on one kept-alive connection, each placed by a point in one of the
    township's grids (so placement searches the province's 398,000 grids), each with its own key."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in ids:
        lat, lng = points[i % len(points)]
        body = json.dumps(
            {
                "channel": "hotline_12345",
                "kind": "complaint",
                "subject": SUBJECTS[i % len(SUBJECTS)],
                "body": f"{SUBJECTS[i % len(SUBJECTS)]}，{i % 997}号楼附近。{port}-{i}",
                "reporter_name": "测试",
                "reporter_phone": f"139{(port * 100003 + i) % 10**8:08d}",
                "lat": lat + 0.001,
                "lng": lng + 0.001,
                "street": street_code[:9],
            }
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"province-{port}-{i}",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/demands", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 201:
            failures.append(status)


def _http_intake(street, dispatcher, requests: int, clients: int = 8) -> dict:
    """Demands over HTTP through `make run`'s gunicorn (as bench_api), placed by coordinates."""
    import threading

    from bench import bench_api
    from shaobao.api.actions import do_issue_token
    from shaobao.org.models import Grid

    _, token = do_issue_token(user=dispatcher, name="province bench")
    points = list(Grid.objects.filter(community__parent=street).values_list("min_lat", "min_lng")[:200])
    port = bench_api._free_port()
    server = bench_api._start_server(port, 0, 0)
    try:

        def burst(n: int, k: int, offset: int) -> dict:
            latencies, failures = [], []
            ids = list(range(offset, offset + n))
            threads = [
                threading.Thread(
                    target=_post_demands,
                    args=(port, token, street.code, points, ids[j::k], latencies, failures),
                )
                for j in range(k)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            latencies.sort()
            return {
                "requests": n,
                "clients": k,
                "demands_per_second": round(n / wall, 1),
                "median_ms": round(statistics.median(latencies), 1),
                "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
                "max_ms": round(latencies[-1], 1),
                "non_201": len(failures),
                "non_201_statuses": sorted(set(failures)),
            }

        # The first requests of each worker process build its index of the grids' boxes: timed apart.
        warm = burst(clients * 4, clients, 0)
        measured = burst(requests, clients, 10_000)
    finally:
        server.terminate()
        server.wait(30)
    return {"warm_up": warm, **measured}


MASS_EVENT, MASS_EVENT_SMALL = 10_000, 2_000  # the township's demands of the last 30 days, at least


def _mass_event(street, dispatcher, size: int) -> dict:
    """Top the township's demands of the last 30 days up to `size` with reposts of one problem (near-identical
    texts, placed by coordinates in its grids, one caller in five calling again), through the action as the
    dispatcher: what a water cut or a flood brings to a township's 12345 line in a few days. Committed, so a
    re-measure finds them (and tops up only what has left the window)."""
    import datetime as dt

    from django.utils import timezone

    from shaobao.intake.actions import do_receive_demand
    from shaobao.intake.models import Demand
    from shaobao.org.models import Grid

    since = timezone.now() - dt.timedelta(days=30)
    recent = Demand.objects.filter(street=street, received_at__gte=since)
    missing = max(0, size - recent.count())
    points = list(Grid.objects.filter(community__parent=street).values_list("min_lat", "min_lng")[:40])
    started = time.perf_counter()
    for i in range(missing):
        lat, lng = points[i % len(points)]
        do_receive_demand(
            actor=dispatcher,
            channel="hotline_12345",
            kind="complaint",
            subject="幸福里小区停水",
            body=f"幸福里小区{i % 30 + 1}号楼从早上开始停水，{i % 12 + 2}个小时了还没来水，家里有老人孩子。",
            reporter_name="居民",
            reporter_phone=f"136{i - 4 if i % 5 == 4 else i:08d}",
            lat=lat + 0.001,
            lng=lng + 0.001,
            street_code=street.code,
        )
    open_ids = list(
        recent.filter(state__in=["received", "self_handling"])
        .exclude(tracking_code__startswith="P")
        .values_list("id", flat=True)
    )
    return {
        "township_demands_last_30_days": recent.count(),
        "received_now": missing,
        "received_seconds": round(time.perf_counter() - started, 1),
        "open_ids": open_ids,
    }


def worker(n: int, full: bool, reuse: bool) -> dict:
    import datetime as dt

    url = os.environ["DATABASE_URL"]
    if not reuse:
        fresh_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from shaobao.evaluation.indicators import Period
    from shaobao.evaluation.rollup import rollup_days
    from shaobao.evaluation.scores import compute_rankings
    from shaobao.intake.actions import do_receive_demand
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division, User
    from shaobao.whistles.supervision import sweep

    org = FULL if full else SMALL
    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    _log(f"migrated in {time.perf_counter() - started:.1f} s")
    now = timezone.now()
    load_s, counts, load_steps = None, None, None
    if not reuse:
        started = time.perf_counter()
        counts, load_steps = _load(org, n, now)
        load_s = round(time.perf_counter() - started, 1)
        _log(f"loaded in {load_s} s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM intake_demand")
        n_demands = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM whistles_summons WHERE state IN ('summoned', 'reported_in')")
        open_summonses = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM intake_demand WHERE state IN ('received', 'self_handling', 'whistled', "
            "'handled', 'reopened')"
        )
        open_demands = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM org_grid")
        grids = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM households_gridworker")
        workers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM core_event")
        events = cur.fetchone()[0]
    figures = {
        # Rounded: re-measuring adds the demands the intake timing received.
        "size": f"{'full' if full else 'small'} organisation, {round(n_demands, -5):,} demands",
        "organisation": "full" if full else "small",
        "org": {**org, "grids": grids, "workers": workers},
        "demands": n_demands,
        "events": events,
        "open_demands": open_demands,
        "open_summonses": open_summonses,
        "rows": counts,
        "load_seconds": load_s,
        "load_steps_seconds": load_steps,
        "loaded_at": None if load_s is None else now.isoformat(timespec="seconds"),
        **_sizes(),
    }
    figures["bytes_per_demand_all_tables"] = round(figures["database_gb"] * 1e9 / max(n_demands, 1))
    _log(f"sizes: {figures['database_gb']} GB")

    # The month's rollup (what the ranking reads), for the last complete month.
    local = timezone.localtime(now)
    last_month_end = local.date().replace(day=1) - dt.timedelta(days=1)
    month = Period.month(last_month_end.strftime("%Y-%m"))
    started = time.perf_counter()
    rollup_days(last_month_end.replace(day=1), last_month_end, as_of=now)
    figures["rollup_one_month_seconds"] = round(time.perf_counter() - started, 1)
    _log(f"month rollup: {figures['rollup_one_month_seconds']} s")

    rng = random.Random(13)
    street = Division.objects.filter(level="street").order_by("code")[7 % org["townships"]]
    county = street.parent
    city = county.parent
    dispatcher = User.objects.get(username=f"disp{street.code}")
    coordinator = User.objects.get(username=f"coord{county.code}")
    city_coordinator = User.objects.get(username=f"city{city.code}")
    # The generated demands only (tracking codes P…): the ones this benchmark received are thousands of
    # near-identical open texts in one township after a few runs, which no township has (each demand page
    # looks for possible duplicates among the open ones nearby: docs/scale.md).
    generated = Demand.objects.filter(street=street, tracking_code__startswith="P")
    street_ids = list(generated.values_list("id", flat=True)[:5000])
    figures["dispatcher_street_demands"] = Demand.objects.filter(street=street).count()

    # Intake through the action (one process, sequential), as the township's dispatcher.
    def receive(i):
        do_receive_demand(
            actor=dispatcher,
            channel="grid_patrol",
            kind="complaint",
            subject=SUBJECTS[i % len(SUBJECTS)],
            body=f"{SUBJECTS[i % len(SUBJECTS)]}，{rng.randint(1, 999)}号楼附近，编号{rng.randint(1, 10**9)}。",
            reporter_name="居民",
            reporter_phone=f"139{rng.randint(0, 10**8 - 1):08d}",
            address="幸福路1号",
            street_code=street.code,
        )

    started = time.perf_counter()
    for i in range(200):
        receive(i)
    elapsed = time.perf_counter() - started
    figures["intake_actions_per_second_one_process"] = round(200 / elapsed, 1)
    _log(f"intake: {figures['intake_actions_per_second_one_process']}/s")

    figures["intake_http"] = _http_intake(
        street, dispatcher, requests=int(os.environ.get("BENCH_PROVINCE_HTTP", 2000))
    )
    _log(f"intake over HTTP: {figures['intake_http']}")

    client = Client()

    def get(user, name, params=None, kwargs=None):
        client.force_login(user)
        url = reverse(name, kwargs=kwargs)

        def call():
            response = client.get(url, params or {})
            assert response.status_code == 200, (url, response.status_code)

        return call

    reads = {}
    list_ = reverse("intake:demand_list")
    client.force_login(dispatcher)
    for label, params in (
        ("dispatcher: demand list, first page", {}),
        ("dispatcher: demand list, open ones (state filter)", {"state": "self_handling"}),
        ("dispatcher: demand list, search a word", {"q": "污水"}),  # the last year (the default)
        ("dispatcher: demand list, search a word in all time", {"q": "污水", "within": "all"}),
        (
            "dispatcher: demand list, search a tracking code",
            {"q": f"P{street_ids[len(street_ids) // 2]:011d}"},
        ),
        ("dispatcher: demand list, page 40", {"page": "40"}),
    ):

        def call(params=params):
            response = client.get(list_, params)
            assert response.status_code == 200, response.status_code

        reads[label] = _timed(call)
        _log(f"{label}: {reads[label]}")

    def detail(pk):
        response = client.get(reverse("intake:demand_detail", kwargs={"pk": pk}))
        assert response.status_code == 200, response.status_code

    sample = rng.sample(street_ids, min(20, len(street_ids)))
    reads["dispatcher: a demand's page (closed ones)"] = _timed_each(detail, sample)
    open_ids = list(
        generated.filter(state__in=["self_handling", "whistled", "received"]).values_list("id", flat=True)[
            :25
        ]
    )
    reads["dispatcher: a demand's page (open ones, routing proposal)"] = _timed_each(detail, open_ids)
    _log(f"detail: {reads['dispatcher: a demand' + chr(39) + 's page (closed ones)']}")
    # A mass event: the pages of demands among thousands of reposts of one problem in the township this
    # month (each page looks up the caller's earlier demands and the possible duplicates among them).
    event = _mass_event(street, dispatcher, MASS_EVENT if full else MASS_EVENT_SMALL)
    event_ids = event.pop("open_ids")
    figures["mass_event"] = event
    reads["dispatcher: a demand's page in a mass event"] = _timed_each(
        detail, rng.sample(event_ids, min(20, len(event_ids)))
    )
    _log(f"mass event {event}: {reads['dispatcher: a demand' + chr(39) + 's page in a mass event']}")

    reads["county: board (/platform/)"] = _timed(get(coordinator, "platform:board"), repeat=5)
    _log(f"board: {reads['county: board (/platform/)']}")
    reads["county: a month's ranking of its units and streets (compute_rankings)"] = _timed(
        lambda: compute_rankings(county, month), repeat=5
    )
    counties = list(Division.objects.filter(parent=city, level="district"))
    figures["city_counties"] = len(counties)
    reads["city: a month's ranking of all its counties' units and streets"] = _timed(
        lambda: [compute_rankings(c, month) for c in counties], repeat=3
    )
    reads["county: evaluation page for the month"] = _timed(
        get(coordinator, "evaluation:index", {"month": month.label}), repeat=5
    )
    reads["city: ranking of its counties and departments for the month"] = _timed(
        get(city_coordinator, "evaluation:city", {"month": month.label}), repeat=5
    )
    _log("rankings done")
    figures["reads"] = reads

    # The deadline sweep over every open summons: the last hour's work, then the steady state.
    started = time.perf_counter()
    first = sweep()
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = sweep()
    second_s = time.perf_counter() - started
    figures["sweep"] = {
        "open_summonses": open_summonses,
        "first_pass_s": round(first_s, 2),
        "first_pass_actions": first.as_dict(),
        "second_pass_s": round(second_s, 3),
        "second_pass_actions": second.total,
    }
    _log(f"sweep: {figures['sweep']}")
    figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--demands") + 1])
        out = worker(n, full="--full" in sys.argv, reuse="--reuse" in sys.argv)
        print(json.dumps(out, ensure_ascii=False))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), ensure_ascii=False, indent=2))
