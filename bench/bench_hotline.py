"""12345 gateway intake speed: work orders accepted per second through POST /api/v1/hotline/orders.

Like bench_api.py (one worker process per database, gunicorn with `make run`'s configuration, the demo
district, fresh databases: BENCH_HOTLINE_PG_URL / BENCH_HOTLINE_SQLITE_PATH), with the gateway's own
account (permission hotline.post_orders, no staff role). Two runs:
- batches: BENCH_HOTLINE_CLIENTS (default 4) clients POST batches of BENCH_HOTLINE_BATCH (default 50)
  orders until BENCH_HOTLINE_ORDERS (default 3,000 × --scale) orders are in;
- single: 8 clients POST one order per request (BENCH_HOTLINE_ORDERS / 2 orders).
Each order is placed from its address and words (no coordinates: what a 12345 platform sends), mapped to a
matter by the category table, and answered with its tracking code; SMS is on (the receipt message is
queued for the worker, which does not run here). Figures: orders/s, request median / p99, gunicorn CPU per
order, and the orders counted in the database afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_api import _cpu_by_process, _free_port, _fresh_database, _start_server  # noqa: E402
from bench.common import pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_HOTLINE_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_hotline")
SQLITE_URL = "sqlite:///" + os.environ.get("BENCH_HOTLINE_SQLITE_PATH", "/tmp/shaobao_bench_hotline.sqlite3")
VAR_DIR = os.environ.get("BENCH_HOTLINE_VAR_DIR", "/tmp/shaobao_bench_hotline_var")
ADDRESSES = ["滨河街道承平里3号楼", "兴谷街道兴谷社区东门", "渔阳地区", "王辛庄镇", "金海湖镇政府附近"]
CATEGORIES = ["违法建设", "占道经营", "噪音扰民", "其他"]


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    orders = int(os.environ.get("BENCH_HOTLINE_ORDERS", 3000 * scale))
    out = {}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, orders)
    out["sqlite"] = _worker_process(SQLITE_URL, orders)
    return out


def _worker_process(url: str, orders: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR=VAR_DIR, DEBUG="0")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.pop("SHAOBAO_TESTING", None)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--orders", str(orders)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _setup() -> str:
    import django

    django.setup()
    from django.contrib.auth.models import Permission
    from django.core.management import call_command

    from shaobao.api.actions import do_issue_token
    from shaobao.duties.models import Matter
    from shaobao.hotline.models import CategoryMapping
    from shaobao.org.models import User

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    gateway = User.objects.create(username="gateway12345")
    gateway.user_permissions.add(Permission.objects.get(codename="post_orders"))
    codes = list(Matter.objects.values_list("code", flat=True).distinct()[:3])
    for category, code in zip(CATEGORIES, codes, strict=False):
        CategoryMapping.objects.get_or_create(category=category, defaults={"matter_code": code})
    _, raw = do_issue_token(user=gateway, name="bench")
    return raw


def _order(i: int) -> dict:
    return {
        "order_no": f"BENCH{i:09d}",
        "time": "2026-05-01T09:30:00+08:00",
        "caller": "测试",
        "phone": f"139{i % 100000000:08d}",
        "address": ADDRESSES[i % len(ADDRESSES)],
        "content": f"压测工单 {i}：小区门口占道经营，影响通行。",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "deadline": "2026-05-08T18:00:00+08:00",
        "urgent": i % 20 == 0,
    }


def _client(port, token, chunks, latencies, failures):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for chunk in chunks:
        body = json.dumps({"orders": [_order(i) for i in chunk]} if len(chunk) > 1 else _order(chunk[0]))
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/hotline/orders", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status = 0
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 201:
            failures.append(status)


def _measure(port, token, first: int, count: int, batch: int, clients: int, server_pid: int) -> dict:
    ids = list(range(first, first + count))
    chunks = [ids[k : k + batch] for k in range(0, count, batch)]
    latencies: list[float] = []
    failures: list[int] = []
    threads = [
        threading.Thread(target=_client, args=(port, token, chunks[k::clients], latencies, failures))
        for k in range(clients)
    ]
    cpu_before = _cpu_by_process(server_pid)
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    cpu_after = _cpu_by_process(server_pid)
    cpu = sum(cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after)
    latencies.sort()
    return {
        "orders": count,
        "batch": batch,
        "clients": clients,
        "orders_per_second": round(count / wall, 1),
        "request_median_ms": round(statistics.median(latencies), 1),
        "request_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "non_201": len(failures),
        "server_cpu_ms_per_order": round(cpu / count * 1000, 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def worker(orders: int) -> dict:
    url = os.environ["DATABASE_URL"]
    Path(VAR_DIR).mkdir(parents=True, exist_ok=True)
    _fresh_database(url)
    token = _setup()
    from shaobao.hotline.models import HotlineOrder

    port = _free_port()
    server = _start_server(port, 0, 0)
    batch = int(os.environ.get("BENCH_HOTLINE_BATCH", 50))
    clients = int(os.environ.get("BENCH_HOTLINE_CLIENTS", 4))
    try:
        _measure(port, token, 90_000_000, 200, batch, clients, server.pid)  # warm-up
        batches = _measure(port, token, 0, orders, batch, clients, server.pid)
        single = _measure(port, token, 10_000_000, orders // 2, 1, 8, server.pid)
        replay = _measure(port, token, 0, min(1000, orders), batch, clients, server.pid)  # all "existing"
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "batches": batches,
        "single": single,
        "replayed_orders_per_second": replay["orders_per_second"],
        "orders_per_second_batches": batches["orders_per_second"],
        "orders_per_second_single": single["orders_per_second"],
        "committed_orders": HotlineOrder.objects.filter(order_no__startswith="BENCH").count(),
        "expected_orders": 200 + orders + orders // 2,
        "database": url.split(":", 1)[0],
    }


if __name__ == "__main__":
    if "--worker" in sys.argv:
        n = int(sys.argv[sys.argv.index("--orders") + 1]) if "--orders" in sys.argv else 3000
        print(json.dumps(worker(n)))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), indent=2))
