"""Workflow speed: whole chains per second through the do_* actions, and one supervision sweep pass.

`run(args)` starts one worker process per database (own DATABASE_URL, own Django setup):
- chains: demand in → whistle (lead + 1 supporting) → 2 report-ins → 2 finishes → verify → callback,
  BENCH_WF_CHAINS (default 300 × --scale) sequentially, then the same with 4 threads on PostgreSQL;
- sweep: BENCH_WF_SUMMONSES open summonses (default 1,000,000 × --scale; 10 per whistle), of which 1 % are
  past their report-in deadline; one sweep pass (claims, events, orders, notification rows), then a
  second pass with nothing left to do.
Databases: BENCH_WF_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_wf, dropped and
re-created) and /tmp/shaobao_bench_wf.sqlite3; BENCH_WF_DBS=postgresql (or sqlite) runs one of them, and
BENCH_WF_CHAINS=0 the sweep part only. One worker by hand:
`DATABASE_URL=... python bench/bench_workflow.py --worker --chains 300 --summonses 1000000`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database  # noqa: E402

PG_URL = os.environ.get("BENCH_WF_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_wf")
SQLITE_URL = "sqlite:////tmp/shaobao_bench_wf.sqlite3"
N_STREETS, N_UNITS = 20, 200


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    chains = int(os.environ.get("BENCH_WF_CHAINS", 300 * scale))
    summonses = int(os.environ.get("BENCH_WF_SUMMONSES", 1_000_000 * scale))
    # BENCH_WF_DBS=postgresql (or sqlite) measures one database only; BENCH_WF_CHAINS=0 the sweep only.
    dbs = os.environ.get("BENCH_WF_DBS", "postgresql,sqlite").split(",")
    urls = {"postgresql": PG_URL, "sqlite": SQLITE_URL}
    return {db: _worker_process(urls[db], chains, summonses) for db in dbs if db in urls}


def _worker_process(url: str, chains: int, summonses: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_wf_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    cmd = [
        sys.executable,
        str(Path(__file__)),
        "--worker",
        "--chains",
        str(chains),
        "--summonses",
        str(summonses),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _reference_data():
    """A district with streets (a dispatcher each), units (a handler each), a published duty list."""
    from shaobao.duties.models import Domain, DutyList, Matter
    from shaobao.org.models import Division, Membership, Unit, User

    district = Division.objects.create(code="110117000000", name="平谷区", level="district")
    streets = [
        Division.objects.create(
            code=f"110117{i + 1:03d}000", name=f"街道{i}", level="street", parent=district
        )
        for i in range(N_STREETS)
    ]
    units = Unit.objects.bulk_create(
        [
            Unit(code=f"U{i:04d}", name=f"部门{i}", kind="department", division=district)
            for i in range(N_UNITS)
        ]
    )
    sections = Unit.objects.bulk_create(
        [
            Unit(code=f"S{i:03d}", name=f"城管科{i}", kind="street_section", division=s)
            for i, s in enumerate(streets)
        ]
    )
    users = User.objects.bulk_create(
        [User(username=f"h{i}", email=f"h{i}@example.org") for i in range(N_UNITS)]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, role="unit_handler", division=district, unit=unit)
            for u, unit in zip(users, units, strict=True)
        ]
    )
    dispatchers = User.objects.bulk_create([User(username=f"d{i}") for i in range(N_STREETS)])
    Membership.objects.bulk_create(
        [
            Membership(user=u, role="street_dispatcher", division=s)
            for u, s in zip(dispatchers, streets, strict=True)
        ]
    )
    coordinator = User.objects.create(username="coord")
    Membership.objects.create(user=coordinator, role="district_coordinator", division=district)
    dl = DutyList.objects.create(district=district, name="清单", version=1)
    domain = Domain.objects.create(code="CSGL", name="城市管理")
    matter = Matter.objects.create(
        duty_list=dl, code="CG-001", name="违法建设", domain=domain, lead_unit=units[0],
        time_limit=7, time_limit_unit="working_days",
    )  # fmt: skip
    matter.supporting_units.add(units[1])
    dl.status = "published"
    dl.save()
    return {
        "district": district, "streets": streets, "units": units, "sections": sections, "handlers": users,
        "dispatchers": dispatchers, "coordinator": coordinator, "matter": matter,
    }  # fmt: skip


def _chain(ref, i: int) -> float:
    from shaobao.intake import actions as intake
    from shaobao.whistles import actions as wf

    started = time.perf_counter()
    s = i % N_STREETS
    disp = ref["dispatchers"][s]
    d = intake.do_receive_demand(
        actor=disp, channel="hotline_12345", kind="complaint", subject=f"违建{i}", body="楼顶违建",
        reporter_name="张三", reporter_phone="13812345678", street_code=ref["streets"][s].code,
    )  # fmt: skip
    w = wf.do_blow_whistle(actor=disp, demand_ids=[d.pk], type="routine", matter_code="CG-001")
    lead = w.summonses.get(role="lead")
    sup = w.summonses.get(role="supporting")
    h0, h1 = ref["handlers"][0], ref["handlers"][1]
    wf.do_report_in(actor=h0, summons_id=lead.pk)
    wf.do_report_in(actor=h1, summons_id=sup.pk)
    wf.do_finish(actor=h1, summons_id=sup.pk, note="配合完成")
    wf.do_finish(actor=h0, summons_id=lead.pk, note="已拆除")
    wf.do_verify(actor=disp, whistle_id=w.pk, passed=True)
    intake.do_callback(actor=disp, demand_id=d.pk, solved=True, satisfaction="satisfied")
    return time.perf_counter() - started


def _chains(ref, n: int, threads: int = 1) -> dict:
    from django.db import connection

    latencies: list[float] = []
    lock = threading.Lock()

    def work(start: int, step: int):
        try:
            for i in range(start, n, step):
                t = _chain(ref, i)
                with lock:
                    latencies.append(t)
        finally:
            if threads > 1:
                connection.close()

    started = time.perf_counter()
    if threads == 1:
        work(0, 1)
    else:
        ts = [threading.Thread(target=work, args=(k, threads)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "chains": len(latencies),
        "threads": threads,
        "chains_per_s": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def _load_summonses(ref, n: int) -> int:
    """n open summonses (10 per whistle, reported in, no warnings due) of which 1 % are past report-in."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    n_whistles = max(1, n // 10)
    user_id = ref["dispatchers"][0].pk
    matter_id = ref["matter"].pk
    streets = [s.pk for s in ref["streets"]]
    units = [u.pk for u in ref["units"]]
    future = now + dt.timedelta(days=30)
    past = now - dt.timedelta(hours=1)

    def whistles():
        for i in range(1, n_whistles + 1):
            yield (i, streets[i % len(streets)], "routine", matter_id, "handling", "", user_id, now, 0)

    def summonses():
        for i in range(1, n + 1):
            due = i % 100 == 0  # 1 %: still summoned, report-in overdue
            yield (
                i, (i - 1) // 10 + 1, units[i % len(units)], "lead" if i % 10 == 1 else "supporting",
                "summoned" if due else "reported_in", now - dt.timedelta(hours=30),
                past if due else future, past if due else future, future, future,
                None if due else now, 0, "",
            )  # fmt: skip

    def claims():
        # The overdue ones were warned before (their report-in warning is claimed).
        for i in range(100, n + 1, 100):
            yield (i, "report_in_warning", past)

    tables = [
        ("whistles_whistle", ["id", "street_id", "type", "matter_id", "state", "note", "blown_by_id", "blown_at",
                              "rework_count"], whistles()),
        ("whistles_summons", ["id", "whistle_id", "unit_id", "role", "state", "summoned_at", "report_in_due",
                              "report_in_warn_at", "finish_due", "finish_warn_at", "reported_in_at",
                              "extension_days", "dispute_reason"], summonses()),
        ("whistles_summonsclaim", ["summons_id", "stage", "claimed_at"], claims()),
    ]  # fmt: skip
    for table, cols, rows in tables:
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
            with connection.cursor() as cur:
                if "id" in cols:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                cur.execute(f"ANALYZE {table}")
        else:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            with connection.cursor() as cur:
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 20000:
                        cur.executemany(sql, batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
            connection.commit()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        _log(f"{table} loaded in {time.perf_counter() - started:.1f} s")
    return n


def _db_counters() -> tuple[float, int] | None:
    """(CPU seconds of this connection's PostgreSQL backend, WAL position in bytes), or None elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')")
        pid, wal = cur.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(wal)


def worker(chains: int, summonses: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ["DATABASE_URL"]
    fresh_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True  # notifications delivered inline, as by a worker with no backlog
    call_command("migrate", verbosity=0, skip_checks=True)
    ref = _reference_data()
    out: dict = {"vendor": connection.vendor}
    if chains:
        _chains(ref, min(20, chains))  # warm-up
        out["chains_sequential"] = _chains(ref, chains)
        _log(f"chains: {out['chains_sequential']}")
        if connection.vendor == "postgresql":
            out["chains_4_threads"] = _chains(ref, chains, threads=4)
            _log(f"chains, 4 threads: {out['chains_4_threads']}")
    if summonses:
        from django.db.models import Max

        from shaobao.whistles.models import Summons, Whistle
        from shaobao.whistles.supervision import sweep

        # Start ids after what the chains created.
        base_w = Whistle.objects.aggregate(m=Max("id"))["m"] or 0
        base_s = Summons.objects.aggregate(m=Max("id"))["m"] or 0
        Summons.objects.all().delete()
        Whistle.objects.all().delete()
        del base_w, base_s
        _load_summonses(ref, summonses)
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("ANALYZE")
            else:
                # The tables as autovacuum leaves them (hint bits set, visibility map) and no dirty buffers
                # left by the bulk load: the pass is measured, not the aftermath of the COPY. The checkpoint
                # also makes the pass's first change of every page a full-page image (the WAL's worst case).
                cur.execute("VACUUM (ANALYZE) whistles_summons, whistles_whistle, whistles_summonsclaim")
                cur.execute("ANALYZE org_membership, org_user")
                cur.execute("CHECKPOINT")
        from shaobao.whistles.steps import whistle_url

        whistle_url(1)  # load the URL configuration before timing (a running worker has it loaded)
        db_before = _db_counters()
        cpu_before = time.process_time()
        started = time.perf_counter()
        first = sweep()
        first_s = time.perf_counter() - started
        first_cpu = time.process_time() - cpu_before
        db_after = _db_counters()
        started = time.perf_counter()
        second = sweep()
        second_s = time.perf_counter() - started
        out["sweep"] = {
            "open_summonses": summonses,
            "due": first.as_dict(),
            "first_pass_s": round(first_s, 3),
            "second_pass_s": round(second_s, 3),
            "second_pass_actions": second.total,
            "first_pass_python_cpu_s": round(first_cpu, 3),
            "load_average_1m": round(os.getloadavg()[0], 1),
        }
        if db_before and db_after:
            # The database server's own CPU for the pass (its backend process, read from /proc) and the WAL
            # it wrote: the steadier figures when other work shares the machine.
            out["sweep"]["first_pass_db_backend_cpu_s"] = round(db_after[0] - db_before[0], 3)
            out["sweep"]["first_pass_wal_mb"] = round((db_after[1] - db_before[1]) / 1e6, 1)
        _log(f"sweep: {out['sweep']}")
    return out


if __name__ == "__main__":
    if "--worker" in sys.argv:
        chains = int(sys.argv[sys.argv.index("--chains") + 1])
        summonses = int(sys.argv[sys.argv.index("--summonses") + 1])
        print(json.dumps(worker(chains, summonses)))
    else:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(run(type("A", (), {"scale": 1.0})()), indent=2))
