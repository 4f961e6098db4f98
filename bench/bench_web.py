"""Page speed: how long the people's pages take to render on the demo district with a busy month.

`run(args)` starts one worker process per database (own DATABASE_URL, own var dir, DEBUG off):
- SQLite: a file under /tmp (always);
- PostgreSQL: BENCH_WEB_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_web, dropped and
  re-created) when PostgreSQL answers on it.
Each worker migrates, loads the demo district (476 units, 113 matters, 1,017 grids), receives
BENCH_WEB_DEMANDS demands (default 1,000 × --scale) in the dispatcher's street through `do_receive_demand`
and blows a whistle for every fifth one, then renders each page REPEAT times with Django's test client
(the whole middleware stack, templates included; no network) and reports the median and p95 in ms and
the SQL queries per page. Run one worker by hand: `python bench/bench_web.py --worker --demands 1000`.
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

PG_URL = os.environ.get("BENCH_WEB_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_web")
SQLITE_URL = "sqlite:////tmp/shaobao_bench_web.sqlite3"
REPEAT = 30


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_WEB_DEMANDS", 1_000 * scale))
    out = {"demands": n, "repeat": REPEAT, "sqlite": _worker_process(SQLITE_URL, n)}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, n)
    return out


def _worker_process(url: str, demands: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_web_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--demands", str(demands)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _measure(client, url: str, **extra) -> dict:
    from django.db import connection

    times: list[float] = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url, **extra)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "queries": len(queries),
    }


def _worker(n: int) -> dict:
    import django

    fresh_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)  # the demo district and its simulated month
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's ALLOWED_HOSTS ("testserver"), nothing else
    from shaobao.intake.actions import do_receive_demand
    from shaobao.org.models import User
    from shaobao.whistles.actions import do_blow_whistle

    dispatcher = User.objects.get(username="dispatcher")
    subjects = ["楼顶私搭乱建", "占道经营", "垃圾清运不及时", "夜间施工噪音扰民", "井盖缺失", "路灯损坏"]
    started = time.perf_counter()
    demands = [
        do_receive_demand(
            actor=dispatcher,
            channel="hotline_12345",
            kind="complaint",
            subject=f"{subjects[i % len(subjects)]}{i}",
            body=f"{subjects[i % len(subjects)]}，第{i}号楼附近，请尽快处理",
            reporter_name="张三",
            reporter_phone="13812345678",
            street_code="110117001",
        )
        for i in range(n)
    ]
    receive_s = time.perf_counter() - started
    whistle = None
    for d in demands[::5]:
        whistle = do_blow_whistle(actor=dispatcher, demand_ids=[d.pk], type="routine", matter_code="CJ-001")
    open_demand = demands[1]

    figures: dict = {"setup_seconds": round(time.perf_counter() - started + receive_s, 1)}
    pages = {
        "dispatcher": {
            "demand page (triage, routing proposal)": f"/demands/{open_demand.pk}/",
            "demand list": "/demands/",
            "inbox": "/whistles/inbox/",
            "inbox poll (every 10 s)": "/whistles/inbox/items/",
            "whistle page": f"/whistles/{whistle.pk}/",
            "bell poll (every 10 s)": "/notifications/bell/",
        },
        "handler": {"inbox": "/whistles/inbox/", "whistle page": f"/whistles/{whistle.pk}/"},
        "coordinator": {"inbox": "/whistles/inbox/"},
        None: {
            "public form": "/demands/report/",
            "tracking page": f"/demands/track/{open_demand.tracking_code}/",
        },
    }
    for username, urls in pages.items():
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        for name, url in urls.items():
            figures[f"{username or 'anonymous'}: {name}"] = _measure(client, url)
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        n = int(sys.argv[sys.argv.index("--demands") + 1]) if "--demands" in sys.argv else 1_000
        print(json.dumps(_worker(n), ensure_ascii=False))
    else:
        print(json.dumps(run(None), indent=2, ensure_ascii=False))
