"""Duplicate lookup with 1,000,000 stored demands on PostgreSQL (`make bench BENCH_ARGS="--only duplicates"`).

`run(args)` starts one worker process pinned to one CPU. The worker:
- creates BENCH_DUP_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_dup, dropped and
  re-created), migrates it and copies BENCH_DUP_DEMANDS demands (default 1,000,000 × --scale): the 7,142
  real messages of ../shared/data/messages repeated, 18 streets of 20 grids each (a lattice: grids of
  neighbouring streets touch), half the demands in a grid, 365 days, 113 matters, 15 % open;
- files every demand's fingerprint and 16 bands as intake would have (computed once per distinct
  message, inserted by SQL, the band index built after the rows); BENCH_DUP_REUSE=1 measures again on the
  database a previous run left;
- times `fingerprint_demands` on 20,000 demands whose rows it deletes first (the backfill's speed), and
  `file_demand` (what a received demand costs intake) for 500 new demands;
- measures 2,000 lookups after 100 warm-up ones: half a random message about a random street (with a
  random grid of it half the time), half a repost (characters dropped, punctuation changed, a phrase
  added) of a random open demand of the last 30 days in its street and grid, with its matter — which
  must find the original ("repost recall"). Wall and client CPU per lookup (p50 / p99), the PostgreSQL
  backend's CPU (from /proc, per lookup on average), queries per lookup, load average before and after;
- EXPLAIN (ANALYZE, BUFFERS) of a repost lookup, and table and index sizes.
Run the worker by hand: `DATABASE_URL=... python bench/bench_duplicates.py --worker --demands 1000000`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database, pg_answers  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "messages"
PG_URL = os.environ.get("BENCH_DUP_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_dup")
VAR = "/tmp/shaobao_bench_dup_var"
STREETS, COMMUNITIES, GRIDS_PER_COMMUNITY = 18, 4, 5
GRID_SIZE = 0.004  # degrees: ~400 m squares, 5 × 4 per street block
LOOKUPS, WARMUP = 2000, 100


def run(args) -> dict:
    if not pg_answers():
        return {"skipped": "PostgreSQL does not answer on 127.0.0.1:5432"}
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_DUP_DEMANDS", 1_000_000 * scale))
    return {"postgresql": _worker(PG_URL, "--demands", str(n))}


def _worker(url: str, *extra: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR=VAR, DEBUG="0", OMP_NUM_THREADS="1")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _messages() -> list[tuple[str, str]]:
    if not DATA.is_dir():
        rng = random.Random(1)
        words = "小区 楼顶 违建 噪音 垃圾 停车 工资 学校 医院 道路 路灯 污水 物业 暖气 施工 摊贩 公交 社保".split()
        return [("".join(rng.choices(words, k=4)), "".join(rng.choices(words, k=60))) for _ in range(7000)]
    rows = []
    for name in ("unlabeled.csv", "replied.csv"):
        with open(DATA / name, encoding="utf-8") as f:
            rows += [(r["subject"][:200], r["body"][:160]) for r in csv.DictReader(f)]
    return rows


def _edit(text: str, rng: random.Random) -> str:
    """A repost (as in tests/routing/test_duplicates.py): characters dropped, punctuation, a phrase added."""
    chars = list(text)
    for _ in range(max(1, len(chars) // 40)):
        if chars:
            del chars[rng.randrange(len(chars))]
    return "".join(chars).replace("，", ",") + rng.choice(["请尽快处理！", "希望有关部门重视。", "谢谢！"])


def _backend_cpu_s(pid: int) -> float:
    """utime + stime of a PostgreSQL backend (same machine), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _square(lng: float, lat: float) -> dict:
    s = GRID_SIZE
    ring = [[lng, lat], [lng + s, lat], [lng + s, lat + s], [lng, lat + s], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _generate(n: int, messages: list[tuple[str, str]]) -> dict:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from shaobao.demo.fixtures.matters import DOMAINS, load_matters
    from shaobao.duties.models import Domain, DutyList, Matter
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division, Grid, Unit

    district = Division.objects.create(code="990101000000", name="基准区", level="district")
    streets, grids_of = [], {}
    grids = []
    for s in range(STREETS):
        street = Division.objects.create(
            code=f"990101{s + 1:03d}000", name=f"街道{s}", level="street", parent=district
        )
        streets.append(street)
        for c in range(COMMUNITIES):
            community = Division.objects.create(
                code=f"990101{s + 1:03d}{c + 1:03d}", name=f"社区{s}-{c}", level="community", parent=street
            )
            for g in range(GRIDS_PER_COMMUNITY):
                lng, lat = 117.0 + (s * GRIDS_PER_COMMUNITY + g) * GRID_SIZE, 40.0 + c * GRID_SIZE
                grids.append(
                    Grid(
                        code=f"B{s:02d}{c}{g}",
                        name=f"网格{s}-{c}-{g}",
                        community=community,
                        geometry=_square(lng, lat),
                        min_lng=lng,
                        min_lat=lat,
                        max_lng=lng + GRID_SIZE,
                        max_lat=lat + GRID_SIZE,
                    )
                )
    for grid in Grid.objects.bulk_create(grids):
        grids_of.setdefault(grid.community.parent_id, []).append((grid.pk, grid.community_id))
    unit = Unit.objects.create(code="BENCH", name="基准单位", kind="department", division=district)
    domains = {
        code: Domain.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in DOMAINS
    }
    duty_list = DutyList.objects.create(district=district, name="基准清单", version=1, status="draft")
    matters = Matter.objects.bulk_create(
        [
            Matter(
                duty_list=duty_list,
                code=m.code,
                name=m.name,
                domain=domains[m.domain],
                description=m.description,
                keywords=m.keyword_list,
                lead_unit=unit,
                time_limit=7,
                time_limit_unit="working_days",
            )
            for m in load_matters()
        ]
    )
    DutyList.objects.filter(pk=duty_list.pk).update(status="published")
    matter_ids = [m.pk for m in matters]
    fields = list(Demand._meta.concrete_fields)
    columns = [f.column for f in fields]
    defaults = {
        f.column: (f.get_default() if f.has_default() else ("" if not f.null else None)) for f in fields
    }
    rng = random.Random(11)
    now = timezone.now()
    open_states = ["received", "self_handling", "whistled", "handled", "reopened"]
    started = time.perf_counter()
    with connection.cursor() as cur:
        raw = cur.connection
        with raw.cursor() as c, c.copy(f"COPY intake_demand ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(n):
                subject, body = messages[i % len(messages)]
                state = (
                    rng.choice(open_states) if rng.random() < 0.15 else rng.choice(["closed", "called_back"])
                )
                street = streets[rng.randrange(STREETS)]
                grid_id, community_id = (
                    rng.choice(grids_of[street.pk]) if rng.random() < 0.5 else (None, None)
                )
                row = dict(defaults)
                row.update(
                    id=i + 1,  # the message of demand id k is messages[(k - 1) % len(messages)]
                    tracking_code=f"B{i:09d}",
                    channel="hotline_12345",
                    kind="complaint",
                    subject=subject,
                    body=body,
                    urgency="normal",
                    street_id=street.pk,
                    community_id=community_id,
                    grid_id=grid_id,
                    matter_id=None if state == "received" else rng.choice(matter_ids),
                    state=state,
                    received_at=now - dt.timedelta(seconds=rng.randrange(365 * 86400)),
                    rework_count=0,
                )
                copy.write_row([row[c] for c in columns])
                if i and i % 200_000 == 0:
                    _log(f"{i} demands copied")
        cur.execute("SELECT setval(pg_get_serial_sequence('intake_demand', 'id'), %s)", [n])
        cur.execute("ANALYZE intake_demand")
    figures = {
        "generate_seconds": round(time.perf_counter() - started, 1),
        "streets": STREETS,
        "grids": len(grids),
        "matters": len(matter_ids),
    }
    started = time.perf_counter()
    _file_generated(messages)
    figures["file_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _file_generated(messages: list[tuple[str, str]]) -> None:
    """Fingerprints and bands of every generated demand, as `file_demand` writes them — computed once per
    distinct message (the demands repeat them) and joined to the demands in SQL; the band index is built
    after the rows (one sort) instead of 16 million inserts."""
    from django.db import connection

    from shaobao.routing.duplicates import BODY_HEAD, band_keys, fingerprint
    from shaobao.routing.text import join_text

    with connection.cursor() as cur:
        raw = cur.connection
        raw.execute("CREATE TEMP TABLE msg (m int PRIMARY KEY, bigrams bytea, size int)")
        raw.execute("CREATE TEMP TABLE msg_key (m int, key int)")
        with raw.cursor() as c:
            with c.copy("COPY msg (m, bigrams, size) FROM STDIN") as copy_fp:
                keys = []
                for m, (subject, body) in enumerate(messages):
                    fp = fingerprint(join_text(subject, body[:BODY_HEAD]))
                    copy_fp.write_row([m, fp.tobytes(), len(fp)])
                    keys += [(m, k) for k in band_keys(fp)]
            with c.copy("COPY msg_key (m, key) FROM STDIN") as copy_keys:
                for row in keys:
                    copy_keys.write_row(row)
        raw.execute("ANALYZE msg")
        raw.execute("ANALYZE msg_key")
        count = len(messages)
        _log("filing fingerprints")
        cur.execute(
            "INSERT INTO routing_demandfingerprint (demand_id, bigrams, size, street_id, received_at) "
            "SELECT d.id, msg.bigrams, msg.size, d.street_id, d.received_at FROM intake_demand d "
            "JOIN msg ON msg.m = (d.id - 1) %% %s",
            [count],
        )
        _log("filing bands")
        cur.execute("ALTER TABLE routing_demandband DROP CONSTRAINT routing_demandband_pkey")
        cur.execute(
            "INSERT INTO routing_demandband (street_id, key, received_at, demand_id) "
            "SELECT d.street_id, k.key, d.received_at, d.id FROM intake_demand d "
            "JOIN msg_key k ON k.m = (d.id - 1) %% %s",
            [count],
        )
        _log("building the band index")
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute(
            "ALTER TABLE routing_demandband ADD CONSTRAINT routing_demandband_pkey "
            "PRIMARY KEY (street_id, key, received_at, demand_id)"
        )
    with connection.cursor() as cur:  # autocommit: VACUUM sets the visibility map (index-only scans)
        cur.execute("VACUUM (ANALYZE) routing_demandband")
        cur.execute("VACUUM (ANALYZE) routing_demandfingerprint")
        cur.execute("VACUUM (ANALYZE) intake_demand")


def _backfill(figures: dict) -> None:
    """`fingerprint_demands` on 20,000 demands whose fingerprint and bands are deleted first."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE gone AS SELECT id FROM intake_demand ORDER BY random() LIMIT 20000")
        cur.execute("DELETE FROM routing_demandband b USING gone WHERE b.demand_id = gone.id")
        cur.execute("DELETE FROM routing_demandfingerprint f USING gone WHERE f.demand_id = gone.id")
    started, c = time.perf_counter(), time.process_time()
    call_command("fingerprint_demands", "--all", verbosity=0, stdout=io.StringIO())
    wall, cpu = time.perf_counter() - started, time.process_time() - c
    figures |= {
        "backfill_demands": 20000,
        "backfill_seconds": round(wall, 1),
        "backfill_client_cpu_seconds": round(cpu, 1),
        "backfill_per_second": round(20000 / wall),
        "backfill_load_average": _load(),
    }
    _log(f"backfill: {figures['backfill_seconds']} s")


def _intake_cost(figures: dict, streets: list) -> None:
    """What filing costs a received demand: `file_demand` for 500 new demands (each in its transaction,
    the demand row inserted first with the signal off)."""
    from django.db import connection, transaction
    from django.db.models.signals import post_save

    from shaobao.intake.models import Demand
    from shaobao.routing import duplicates

    messages = _messages()
    rng = random.Random(9)
    pid = _backend_pid()
    wall, cpu, server = [], [], 0.0
    post_save.disconnect(duplicates.on_demand_saved, sender=Demand, dispatch_uid="routing-fingerprint")
    try:
        for i in range(500):
            subject, body = messages[rng.randrange(len(messages))]
            with transaction.atomic():
                d = Demand.objects.create(
                    tracking_code=f"N{i:09d}",
                    channel="hotline_12345",
                    subject=subject,
                    body=body,
                    street=rng.choice(streets),
                )
                s0 = _backend_cpu_s(pid)
                t, c = time.perf_counter(), time.process_time()
                duplicates.file_demand(d, created=True)
                cpu.append((time.process_time() - c) * 1000)
                wall.append((time.perf_counter() - t) * 1000)
                server += _backend_cpu_s(pid) - s0
    finally:
        post_save.connect(duplicates.on_demand_saved, sender=Demand, dispatch_uid="routing-fingerprint")
    Demand.objects.filter(
        tracking_code__startswith="N"
    ).delete()  # a later BENCH_DUP_REUSE run adds them again
    figures |= {
        "file_demand_ms_p50": _pct(wall, 0.5),
        "file_demand_ms_p99": _pct(wall, 0.99),
        "file_demand_client_cpu_ms_p50": _pct(cpu, 0.5),
        "file_demand_client_cpu_ms_p99": _pct(cpu, 0.99),
        "file_demand_server_cpu_ms_mean": round(server * 1000 / len(wall), 3),
        "file_demand_statements": 1,
        "file_demand_load_average": _load(),
    }
    _log(f"file_demand p50 {figures['file_demand_ms_p50']} ms")
    connection.close()


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _lookups(figures: dict) -> None:
    from django.db import connection

    from shaobao.duties.models import Matter
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division, Grid
    from shaobao.routing import duplicates
    from shaobao.routing.cold_start import KeywordClassifier, MatterText

    messages = _messages()
    matters = list(Matter.objects.select_related("domain"))
    keyword = KeywordClassifier(
        MatterText(m.code, m.name, m.description, tuple(m.keywords), m.pk) for m in matters
    )
    streets = list(Division.objects.filter(level="street"))
    grids = {g.pk: g for g in Grid.objects.all()}
    grids_of: dict[int, list] = {}
    for g in Grid.objects.select_related("community"):
        grids_of.setdefault(g.community.parent_id, []).append(g)
    recent = list(
        Demand.objects.filter(state__in=duplicates.OPEN_STATES, received_at__gte=_days_ago(29))
        .order_by("?")
        .values_list("id", "subject", "body", "street_id", "grid_id", "community_id", "matter_id")[:5000]
    )
    by_id = {s.pk: s for s in streets}
    rng = random.Random(5)
    plan: list = []
    for k in range(WARMUP + LOOKUPS):
        if k % 2:
            pk, subject, body, street_id, grid_id, community_id, matter_id = rng.choice(recent)
            kw = dict(
                subject=_edit(subject, rng)[:200],
                body=_edit(body, rng),
                street=by_id[street_id],
                grid=grids.get(grid_id),
                community_id=community_id,
                matter_ids=[matter_id] if matter_id else [],
            )
            plan.append((kw, pk))
        else:
            subject, body = messages[rng.randrange(len(messages))]
            street = rng.choice(streets)
            top = [m.pk for m in matters if m.code in {c for c, _ in keyword.rank(subject + body, k=3)}]
            grid = rng.choice(grids_of[street.pk]) if rng.random() < 0.5 else None
            plan.append((dict(subject=subject, body=body, street=street, grid=grid, matter_ids=top), None))
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    pid = _backend_pid()
    load_before = _load()
    times, cpu, found, reposts, recalled = [], [], 0, 0, 0
    with connection.execute_wrapper(count):
        for k, (kw, original) in enumerate(plan):
            if k == WARMUP:
                queries[0], server0 = 0, _backend_cpu_s(pid)
            t, c = time.perf_counter(), time.process_time()
            hits = duplicates.find_duplicates(**kw)
            if k < WARMUP:
                continue
            cpu.append((time.process_time() - c) * 1000)
            times.append((time.perf_counter() - t) * 1000)
            found += bool(hits)
            if original is not None:
                reposts += 1
                recalled += original in {h.demand_id for h in hits}
    server = _backend_cpu_s(pid) - server0
    figures |= {
        "lookup_ms_p50": _pct(times, 0.5),
        "lookup_ms_p99": _pct(times, 0.99),
        "lookup_ms_max": round(max(times), 3),
        "lookup_client_cpu_ms_p50": _pct(cpu, 0.5),
        "lookup_client_cpu_ms_p99": _pct(cpu, 0.99),
        "lookup_server_cpu_ms_mean": round(server * 1000 / len(times), 3),
        "queries_per_lookup": round(queries[0] / len(times), 3),
        "lookups": len(times),
        "lookups_with_candidates": found,
        "repost_recall": f"{recalled}/{reposts}",
        "load_average_before": load_before,
        "load_average_after": _load(),
    }
    kw = next(kw for kw, original in plan if original is not None and kw["grid"] is not None)
    figures["explain_repost_lookup"] = _explain(kw)


def _explain(kw: dict) -> list[str]:
    import datetime as dt

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from shaobao.routing import duplicates
    from shaobao.routing.text import join_text

    fp = duplicates.fingerprint(join_text(kw["subject"], kw["body"][: duplicates.BODY_HEAD]))
    sql, params = duplicates.candidate_query(
        text_fp=fp,
        street_id=kw["street"].pk,
        grid=kw["grid"],
        since=timezone.now() - dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS),
        close=duplicates.close_matter_ids(kw["matter_ids"]),
        exclude_id=None,
    )
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [r[0] for r in cur.fetchall()]


def _days_ago(days: int):
    import datetime as dt

    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=days)


def _sizes() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for rel in (
            "routing_demandband",
            "routing_demandband_pkey",
            "routing_demandfingerprint",
            "intake_demand",
        ):
            cur.execute("SELECT pg_relation_size(%s)", [rel])
            out[f"{rel}_mb"] = round(cur.fetchone()[0] / 2**20)
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'routing_demandband'")
        out["band_rows"] = cur.fetchone()[0]
    return out


def _main(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from shaobao.intake.models import Demand
    from shaobao.org.models import Division

    started_cpu = time.process_time()
    if os.environ.get("BENCH_DUP_REUSE") == "1":
        figures: dict = {"reused_database": True}
        call_command("migrate", "routing", verbosity=0)  # only what this benchmark measures
        n = Demand.objects.count()
    else:
        fresh_database(os.environ["DATABASE_URL"])
        connection.close()
        call_command("migrate", verbosity=0)
        _log(f"migrated; copying {n} demands")
        figures = _generate(n, _messages())
        _log(f"generated: {figures}")
        _backfill(figures)
    streets = list(Division.objects.filter(level="street"))
    _lookups(figures)
    _intake_cost(figures, streets)
    from django.conf import settings

    return {
        "demands": n,
        "window_days": settings.DUPLICATE_WINDOW_DAYS,
        **figures,
        **_sizes(),
        "worker_cpu_seconds": round(time.process_time() - started_cpu, 1),
    }


def _worker_main(demands: int) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(_main(demands), ensure_ascii=False))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true", required=True)
    parser.add_argument("--demands", type=int, default=1_000_000)
    a = parser.parse_args()
    _worker_main(a.demands)
