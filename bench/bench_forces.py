"""Forces sent down (issue 11): a list of 10,000 deployments stays under 300 ms per page on PostgreSQL.

`run(args)` starts one worker process per database (own DATABASE_URL, own var dir, DEBUG off):
- SQLite: a file under /tmp (always);
- PostgreSQL: BENCH_FORCES_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_forces, dropped and
  re-created) when PostgreSQL answers on it.
Each worker migrates, loads the demo district (with its forces: 500 reserve cadres, ~470 deployments), adds
cadres and deployments up to BENCH_FORCES_DEPLOYMENTS (default 10,000 × --scale) over all the streets and
villages in the six modes with a month of presence logs (bulk), then renders each page REPEAT times with
Django's test client (middleware and templates included; no network) and reports the median and p95 in ms
and the SQL queries per page. Run one worker by hand: `python bench/bench_forces.py --worker --deployments 10000`.
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
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_FORCES_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_forces")
SQLITE_URL = "sqlite:////tmp/shaobao_bench_forces.sqlite3"
REPEAT = 20


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_FORCES_DEPLOYMENTS", 10_000 * scale))
    out = {"deployments": n, "repeat": REPEAT, "sqlite": _worker_process(SQLITE_URL, n)}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, n)
    return out


def _worker_process(url: str, n: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_forces_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--deployments", str(n)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _measure(client, url: str) -> dict:
    from django.db import connection

    times: list[float] = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "queries": len(queries),
    }


def _grow(n: int) -> dict:
    """Cadres and deployments up to n, a month of presence for the running ones (bulk)."""
    import datetime as dt
    import random

    from django.utils import timezone

    from shaobao.core.calendar import is_workday
    from shaobao.forces.models import Cadre, Deployment, DeploymentMode, PresenceLog
    from shaobao.org.models import Division, Unit

    rng = random.Random(11)
    district = Division.objects.get(code="110117000000")
    hosts = list(Division.objects.filter(level__in=["street", "community"], code__startswith="110117"))
    units = list(Unit.objects.filter(division=district))
    missing = n - Deployment.objects.count()
    started = time.perf_counter()
    cadres = [
        Cadre(name=f"干部{i:05d}", district=district, unit=rng.choice(units + [None]), skills="调解,法律")
        for i in range(missing)
    ]
    Cadre.objects.bulk_create(cadres, batch_size=2000)
    today = timezone.localdate()
    deployments = []
    for i, cadre in enumerate(cadres):
        start = today - dt.timedelta(days=rng.randint(1, 700))
        end = None if rng.random() < 0.6 else min(today, start + dt.timedelta(days=rng.randint(30, 300)))
        deployments.append(
            Deployment(
                cadre=cadre,
                unit_id=cadre.unit_id,
                mode=DeploymentMode.values[i % 6],
                host=rng.choice(hosts),
                post="岗位",
                starts_on=start,
                ends_on=end,
            )
        )
    Deployment.objects.bulk_create(deployments, batch_size=2000)
    first = today - dt.timedelta(days=30)
    days = [first + dt.timedelta(days=k) for k in range(31) if is_workday(first + dt.timedelta(days=k))]
    logs = [
        PresenceLog(deployment=d, cadre_id=d.cadre_id, day=day)
        for d in deployments
        for day in days
        if d.starts_on <= day and (d.ends_on is None or d.ends_on >= day) and rng.random() < 0.8
    ]
    PresenceLog.objects.bulk_create(logs, batch_size=5000)
    return {
        "deployments": Deployment.objects.count(),
        "presence_logs": PresenceLog.objects.count(),
        "setup_seconds": round(time.perf_counter() - started, 1),
    }


def _worker(n: int) -> dict:
    import django

    fresh_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--no-month", verbosity=0)
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from shaobao.forces.models import Deployment
    from shaobao.org.models import User

    figures: dict = _grow(n)
    last_page = (Deployment.objects.count() + 24) // 25
    pages = {
        "coordinator": {
            "deployment list, page 1": "/forces/",
            "deployment list, last page": f"/forces/?page={last_page}",
            "deployment list, filtered (mode, running now)": "/forces/?mode=enforcement&active=active",
            "deployment list, searched by name": "/forces/?q=%E5%B9%B2%E9%83%A8012",
            "API deployments, page 1 (20)": "/api/v1/deployments",
            "API deployments, page of 100, deep": "/api/v1/deployments?page=90&page_size=100",
            "reports (coverage, presence of the month)": "/forces/reports/",
        },
        "dispatcher": {"deployment list, page 1 (own street)": "/forces/"},
    }
    for username, urls in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, url in urls.items():
            figures[f"{username}: {name}"] = _measure(client, url)
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        n = int(sys.argv[sys.argv.index("--deployments") + 1]) if "--deployments" in sys.argv else 10_000
        print(json.dumps(_worker(n), ensure_ascii=False))
    else:
        print(json.dumps(run(None), indent=2, ensure_ascii=False))
