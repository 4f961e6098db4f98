"""API intake speed: demands accepted per second through the HTTP API with 8 and with 32 concurrent clients.

`run(args)` starts one worker process per database (own DATABASE_URL, own Django setup):
- PostgreSQL: BENCH_API_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_api, dropped and
  re-created) when PostgreSQL answers; SQLite: BENCH_API_SQLITE_PATH (default /tmp/shaobao_bench_api.sqlite3;
  always, fresh). Variable files (and gunicorn's server.log) go to BENCH_API_VAR_DIR (default
  /tmp/shaobao_bench_api_var).
Each worker migrates, loads the demo district, issues an API token for the demo street dispatcher, starts
gunicorn with `make run`'s own configuration (config/gunicorn.py: gthread workers, keep-alive; here
BENCH_API_WORKERS workers, default one per CPU, BENCH_API_THREADS threads each, default 4, as `make run`;
CONN_MAX_AGE=BENCH_API_CONN_MAX_AGE, default 600, as `make run`) on a free local port, warms it up, and then
for each count in BENCH_API_CLIENTS (default "8,32") that many client threads each keep one HTTP/1.1
connection open and POST `/api/v1/demands` (placed by coordinates, each with its own Idempotency-Key) until
BENCH_API_REQUESTS (default 3,000 × --scale) are done. Figures per client count: demands/s over the wall
time, median / p99 / max latency, non-201 answers, gunicorn's CPU per demand and how evenly its workers
shared it; and the demands counted in the database afterwards (each accepted one is committed before its
201). One worker by hand: `DATABASE_URL=... python bench/bench_api.py --worker`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import runpy
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import pg_answers, wait_until_healthy  # noqa: E402

PG_URL = os.environ.get("BENCH_API_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_api")
# Own paths by environment so that several people can run the benchmark at once on one machine.
SQLITE_URL = "sqlite:///" + os.environ.get("BENCH_API_SQLITE_PATH", "/tmp/shaobao_bench_api.sqlite3")
VAR_DIR = os.environ.get("BENCH_API_VAR_DIR", "/tmp/shaobao_bench_api_var")


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    requests = int(os.environ.get("BENCH_API_REQUESTS", 3000 * scale))
    out = {}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, requests)
    out["sqlite"] = _worker_process(SQLITE_URL, requests)
    return out


def _worker_process(url: str, requests: int) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SHAOBAO_VAR_DIR=VAR_DIR,
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("SHAOBAO_TESTING", None)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--requests", str(requests)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the worker ----------------------------------------------------------------------------------------


def _fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup() -> str:
    """Migrate, load the demo district, return a token of the demo street dispatcher."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    from shaobao.api.actions import do_issue_token
    from shaobao.org.models import User

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    _, raw = do_issue_token(user=User.objects.get(username="dispatcher"), name="bench")
    return raw


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn with `make run`'s own settings (config/gunicorn.py: gthread workers, keep-alive, persistent
    database connections), on a free port, DEBUG off, its log in the benchmark's var directory."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "-c", str(ROOT / "config" / "gunicorn.py")]
    server = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=dict(
            os.environ,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CONN_MAX_AGE=os.environ.get("BENCH_API_CONN_MAX_AGE", "600"),
            WEB_BIND=f"127.0.0.1:{port}",
            **({"WEB_WORKERS": str(workers)} if workers else {}),
            **({"WEB_THREADS": str(threads)} if threads else {}),
            WEB_LOG_LEVEL="warning",
        ),
    )
    return wait_until_healthy(server, port, 60)


def _client(port: int, token: str, ids: list[int], latencies: list[float], failures: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random(ids[0] if ids else 0)
    for i in ids:
        body = json.dumps(
            {
                "channel": "hotline_12345",
                "kind": "complaint",
                "subject": f"压测诉求 {i}",
                "body": "小区门口占道经营，影响通行。",
                "reporter_name": "测试",
                "reporter_phone": "13800000000",
                # Somewhere in the demo district's generated grids (placement by coordinates).
                "lat": 40.10 + rng.random() * 0.15,
                "lng": 117.00 + rng.random() * 0.25,
                "street": "110117001",
            }
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{i}",
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


def _cpu_by_process(master_pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of gunicorn's master and each worker, from /proc: steadier than wall
    time when other work shares the machine, and it shows how evenly the workers share the load."""
    pids = [master_pid]
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return out


def _measure(port: int, token: str, requests: int, clients: int, offset: int) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    ids = list(range(offset, offset + requests))
    threads = [
        threading.Thread(target=_client, args=(port, token, ids[k::clients], latencies, failures))
        for k in range(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": requests,
        "clients": clients,
        "demands_per_second": round(requests / wall, 1),
        "median_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "max_ms": round(latencies[-1], 1),
        "non_201": len(failures),
        "non_201_statuses": sorted(set(failures)),
    }


def worker(requests: int) -> dict:
    url = os.environ["DATABASE_URL"]
    Path(VAR_DIR).mkdir(parents=True, exist_ok=True)
    _fresh_database(url)
    token = _setup()
    from shaobao.intake.models import Demand

    # 0: config/gunicorn.py's own defaults (what `make run` serves with).
    workers = int(os.environ.get("BENCH_API_WORKERS", 0))
    threads = int(os.environ.get("BENCH_API_THREADS", 0))
    client_counts = [int(c) for c in os.environ.get("BENCH_API_CLIENTS", "8,32").split(",")]
    port = _free_port()
    server = _start_server(port, workers, threads)
    out: dict = {"by_clients": {}}
    offset = 0
    try:
        _measure(port, token, min(200, requests), max(client_counts), offset=10_000_000)  # warm-up
        for clients in client_counts:
            cpu_before = _cpu_by_process(server.pid)
            client_before = time.process_time()
            figures = _measure(port, token, requests, clients, offset=offset)
            offset += requests
            client_cpu = time.process_time() - client_before
            cpu_after = _cpu_by_process(server.pid)
            spent = {pid: cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after}
            cpu = sum(spent.values())
            workers_cpu = sorted((v for pid, v in spent.items() if pid != server.pid), reverse=True)
            figures["server_cpu_ms_per_demand"] = round(cpu / requests * 1000, 2)
            # How evenly the workers shared the work (1.0 = evenly; near 0.5 = one worker did it all).
            figures["worker_cpu_balance"] = (
                round((sum(workers_cpu) / len(workers_cpu)) / workers_cpu[0], 2)
                if workers_cpu and workers_cpu[0]
                else None
            )
            # What the CPUs could sustain if the application server had them to itself (database excluded).
            figures["cpu_bound_demands_per_second_on_all_cpus"] = round(
                (os.cpu_count() or 1) * requests / cpu, 1
            )
            figures["client_cpu_ms_per_demand"] = round(client_cpu / requests * 1000, 2)
            figures["load_average_1m"] = round(os.getloadavg()[0], 1)  # other work on the machine skews it
            out["by_clients"][str(clients)] = figures
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The headline figures (docs/benchmarks.md's table): the first client count (8), and the 32 next to it.
    first = out["by_clients"][str(client_counts[0])]
    out.update(
        {
            k: first[k]
            for k in (
                "requests",
                "clients",
                "demands_per_second",
                "median_ms",
                "p99_ms",
                "max_ms",
                "non_201",
                "server_cpu_ms_per_demand",
            )
        }
    )
    for clients in client_counts[1:]:
        more = out["by_clients"][str(clients)]
        out[f"demands_per_second_{clients}_clients"] = more["demands_per_second"]
        out[f"p99_ms_{clients}_clients"] = more["p99_ms"]
    served = runpy.run_path(
        str(ROOT / "config" / "gunicorn.py")
    )  # the sizes it served with (env or defaults)
    out["server_workers"] = workers or served["workers"]
    out["server_threads_per_worker"] = threads or served["threads"]
    out["committed_demands"] = Demand.objects.filter(idempotency_key__startswith="bench-").count()
    out["expected_demands"] = offset + min(200, requests)
    out["database"] = url.split(":", 1)[0]
    return out


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 3000
        print(json.dumps(worker(n)))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), indent=2))
