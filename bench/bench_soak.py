"""Soak: the whole chain through the HTTP API for minutes, 8 clients at once, with the worker running.

`run(args)` starts one process per database (own DATABASE_URL, own SHAOBAO_VAR_DIR in a temporary folder,
so its own huey queue file): SQLite (a file in that folder) and PostgreSQL (BENCH_SOAK_PG_URL, default
postgres://postgres@127.0.0.1:5432/shaobao_soak, dropped and re-created) when it answers; SOAK_DBS=sqlite
(or postgresql) runs one. Each process migrates, loads the demo district (with its simulated month;
SOAK_DEMO_MONTH=0 skips it), issues API tokens for the demo users it needs, then starts
- gunicorn with `make run`'s settings (config/gunicorn.py; SOAK_WORKERS / SOAK_THREADS override its process and
  thread counts; persistent database connections) on a free local port, and
- the worker, `manage.py run_huey` (notifications, e-mails, the per-minute supervision sweep),
and SOAK_CLIENTS client threads (default 8) for SOAK_SECONDS (default 300 × --scale). Each client repeats
chains on its own HTTP/1.1 connection, as the demo street's dispatcher and the units' handlers:
- self-handling (3 of 4): receive → triage (self-handle by a street section) → finish (the section's
  handler) → verify → callback; every SOAK_RACE_EVERY-th (default 10) triage is sent at the same moment by
  the dispatcher and the street leader: one must get 200, the other 409;
- a whistle (1 of 4): receive → blow the whistle (the duty list's units) → each unit reports in →
  supporting units finish, the lead unit feeds back → verify → callback.
After the time is up the clients finish their chain, and the worker is given up to 120 s to empty its queue.
Figures: chains completed, actions/s, p50/p99 latency per action, answers 5xx (goal 0), other unexpected
answers, races answered 200+409, failed tasks (core.TaskFailure rows, goal 0; task errors logged that a retry
made good; tasks still queued), and the accepted demands (every 201's tracking code) found in the database.
One database by hand: `DATABASE_URL=... SHAOBAO_VAR_DIR=... python bench/bench_soak.py --worker --seconds 60`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database, pg_answers, wait_until_healthy  # noqa: E402

PG_URL = os.environ.get("BENCH_SOAK_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_soak")
DEMO_STREET_CODE = "110117001"  # 滨河街道 (shaobao.demo.users.DEMO_STREET)


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    seconds = float(os.environ.get("SOAK_SECONDS", 300 * scale))
    out = {}
    for db in os.environ.get("SOAK_DBS", "postgresql,sqlite").split(","):
        if db == "postgresql" and not pg_answers():
            continue
        if db in ("postgresql", "sqlite"):
            out[db] = _worker_process(db, seconds)
    return out


def _worker_process(db: str, seconds: float) -> dict:
    var_dir = tempfile.mkdtemp(prefix=f"shaobao_soak_{db}_")
    url = PG_URL if db == "postgresql" else f"sqlite:///{var_dir}/shaobao.sqlite3"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SHAOBAO_VAR_DIR=var_dir,
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--seconds", str(seconds)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{db}: {proc.stderr[-3000:]} (logs kept in {var_dir})")
    sys.stderr.write(proc.stderr[-2000:])
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    if os.environ.get("SOAK_KEEP") == "1":
        figures["var_dir"] = var_dir
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    return figures


# --- the worker ----------------------------------------------------------------------------------------


def _setup() -> dict:
    """Migrate, load the demo, issue the tokens; what the clients need (units, matters, tokens)."""
    import django

    django.setup()
    from django.core.management import call_command

    from shaobao.api.actions import do_issue_token
    from shaobao.demo.users import handler_username
    from shaobao.duties.models import DutyList, Matter
    from shaobao.duties.selectors import rule_for
    from shaobao.intake.actions import STREET_UNIT_KINDS
    from shaobao.org.models import Division, Unit, User

    call_command("migrate", verbosity=0)
    month = os.environ.get("SOAK_DEMO_MONTH", "1") != "0"
    call_command("load_demo", verbosity=0, **({} if month else {"no_month": True}))
    street = Division.objects.get(code__startswith=DEMO_STREET_CODE, level="street")
    handlers = {u.username: u for u in User.objects.filter(username__startswith="h-", is_active=True)}

    def token(user) -> str:
        return do_issue_token(user=user, name="soak")[1]

    sections = [
        u.code
        for u in Unit.objects.filter(
            kind__in=STREET_UNIT_KINDS, division__code__startswith=street.prefix, is_active=True
        ).order_by("code")
        if handler_username(u.code) in handlers
    ]
    matters, units = [], set(sections)
    in_force = DutyList.objects.in_force(street.parent)
    for matter in Matter.objects.filter(duty_list=in_force).order_by("code"):
        rule = rule_for(matter, street)
        codes = [rule.lead_unit.code, *(u.code for u in rule.supporting_units)]
        if rule.lead_unit.is_active and all(handler_username(c) in handlers for c in codes):
            matters.append(matter.code)
            units.update(codes)
        if len(matters) >= 8:
            break
    if not sections or not matters:
        raise RuntimeError("the demo has no street section or matter with handlers")
    return {
        "dispatcher": token(User.objects.get(username="dispatcher")),
        "leader": token(User.objects.get(username="streetleader")),
        "sections": sections,
        "matters": matters,
        "units": {code: token(handlers[handler_username(code)]) for code in sorted(units)},
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _served(size: str, override: str) -> int:
    """The process or thread count gunicorn served with: the override, else config/gunicorn.py's default."""
    return int(os.environ.get(override) or runpy.run_path(str(ROOT / "config" / "gunicorn.py"))[size])


def _start_server(port: int, var_dir: Path) -> subprocess.Popen:
    """gunicorn with `make run`'s own settings (config/gunicorn.py); SOAK_WORKERS / SOAK_THREADS override its sizes."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "-c", str(ROOT / "config" / "gunicorn.py")]
    env = dict(
        os.environ,
        CONN_MAX_AGE=os.environ.get("SOAK_CONN_MAX_AGE", "600"),
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_ERROR_LOG=str(var_dir / "server.log"),
        WEB_LOG_LEVEL="warning",
    )
    for ours, theirs in (("SOAK_WORKERS", "WEB_WORKERS"), ("SOAK_THREADS", "WEB_THREADS")):
        if os.environ.get(ours):
            env[theirs] = os.environ[ours]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    return wait_until_healthy(server, port, 90)


def _start_huey(var_dir: Path) -> subprocess.Popen:
    log = open(var_dir / "worker.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()  # (action, status)
        self.unexpected: Counter = Counter()  # (action, status) not the one wanted
        self.chains: Counter = Counter()
        self.abandoned: Counter = Counter()
        self.races = Counter()
        self.accepted: list[str] = []

    def add(self, action: str, status: int, ms: float, wanted: int) -> None:
        with self.lock:
            self.latency[action].append(ms)
            self.statuses[(action, status)] += 1
            if status != wanted:
                self.unexpected[(action, status)] += 1


class Client:
    """One HTTP/1.1 connection, kept open; `call` records the action's latency and status."""

    def __init__(self, port: int, stats: Stats):
        self.port, self.stats = port, stats
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=90)

    def call(self, action: str, path: str, token: str, body: dict, wanted: int = 200) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
            status, raw = 0, b""
        self.stats.add(action, status, (time.perf_counter() - started) * 1000, wanted)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return status, data


def _receive(c: Client, plan: dict, rng: random.Random, n: str) -> dict | None:
    body = {
        "channel": "hotline_12345",
        "kind": "complaint",
        "subject": f"压测 {n} {rng.choice(['路灯不亮', '占道经营', '垃圾堆放', '井盖缺失', '噪音扰民'])}",
        "body": "居民反映小区门口问题多日未解决，请尽快处理。",
        "reporter_name": "测试",
        "reporter_phone": "13800000000",
        "address": f"滨河街道测试路{rng.randint(1, 300)}号",
        "street": DEMO_STREET_CODE,
    }
    status, data = c.call("receive", "/api/v1/demands", plan["dispatcher"], body, wanted=201)
    if status != 201:
        return None
    with c.stats.lock:
        c.stats.accepted.append(data["tracking_code"])
    return data


def _race_triage(c: Client, plan: dict, demand_id: int, unit: str) -> bool:
    """The dispatcher and the street leader triage at the same moment: one 200, one 409."""
    path, body = f"/api/v1/demands/{demand_id}/triage", {"action": "self_handle", "unit": unit}
    barrier, statuses = threading.Barrier(2), [0, 0]
    other = Client(c.port, c.stats)

    def go(i: int, client: Client, token: str) -> None:
        barrier.wait()
        statuses[i] = client.call("triage (race)", path, token, body, wanted=-1)[0]

    rival = threading.Thread(target=go, args=(1, other, plan["leader"]))
    rival.start()
    go(0, c, plan["dispatcher"])
    rival.join()
    other.conn.close()
    with c.stats.lock:
        c.stats.races["races"] += 1
        if sorted(statuses) == [200, 409]:
            c.stats.races["answered_200_and_409"] += 1
        c.stats.races.update(f"answered_{s}" for s in statuses if s >= 500 or s == 0)
    return 200 in statuses


def _self_chain(c: Client, plan: dict, rng: random.Random, n: str, race: bool) -> bool:
    demand = _receive(c, plan, rng, n)
    if demand is None:
        return False
    base, unit = f"/api/v1/demands/{demand['id']}", rng.choice(plan["sections"])
    if race:
        if not _race_triage(c, plan, demand["id"], unit):
            return False
    elif (
        c.call("triage", f"{base}/triage", plan["dispatcher"], {"action": "self_handle", "unit": unit})[0]
        != 200
    ):
        return False
    steps = [
        ("finish", f"{base}/finish", plan["units"][unit], {"note": "已现场处理完毕"}),
        ("verify", f"{base}/verify", plan["dispatcher"], {"passed": True, "note": "核查通过"}),
        ("callback", f"{base}/callback", plan["dispatcher"], {"solved": True, "satisfaction": "satisfied"}),
    ]
    return all(c.call(*step)[0] == 200 for step in steps)


def _whistle_chain(c: Client, plan: dict, rng: random.Random, n: str) -> bool:
    demand = _receive(c, plan, rng, n)
    if demand is None:
        return False
    body = {"demands": [demand["id"]], "type": "routine", "matter": rng.choice(plan["matters"])}
    status, whistle = c.call("blow whistle", "/api/v1/whistles", plan["dispatcher"], body, wanted=201)
    if status != 201:
        return False
    summonses = [s for s in whistle["summonses"] if s["state"] != "withdrawn"]
    for s in summonses:
        token = plan["units"][s["unit"]["code"]]
        if c.call("report in", f"/api/v1/summons/{s['id']}/report-in", token, {})[0] != 200:
            return False
    for s in sorted(summonses, key=lambda s: s["role"] == "lead"):  # supporting first, the lead feeds back
        action = "feed back" if s["role"] == "lead" else "finish (supporting)"
        token = plan["units"][s["unit"]["code"]]
        if c.call(action, f"/api/v1/summons/{s['id']}/finish", token, {"note": "已办结"})[0] != 200:
            return False
    verify = {"passed": True, "note": "核查通过"}
    if (
        c.call("verify whistle", f"/api/v1/whistles/{whistle['id']}/verify", plan["dispatcher"], verify)[0]
        != 200
    ):
        return False
    callback = {"solved": True, "satisfaction": "satisfied"}
    return (
        c.call("callback", f"/api/v1/demands/{demand['id']}/callback", plan["dispatcher"], callback)[0] == 200
    )


def _client_loop(k: int, port: int, plan: dict, stats: Stats, until: float) -> None:
    c, rng = Client(port, stats), random.Random(k)
    race_every = int(os.environ.get("SOAK_RACE_EVERY", "10"))
    i = 0
    while time.time() < until:
        i += 1
        n = f"{k}-{i}"
        if i % 4 == 0:
            kind, done = "whistle", _whistle_chain(c, plan, rng, n)
        else:
            kind, done = (
                "self_handling",
                _self_chain(c, plan, rng, n, race=race_every and i % race_every == 1),
            )
        with stats.lock:
            (stats.chains if done else stats.abandoned)[kind] += 1
    c.conn.close()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 1)


def worker(seconds: float) -> dict:
    url = os.environ["DATABASE_URL"]
    var_dir = Path(os.environ["SHAOBAO_VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    fresh_database(url)
    t0 = time.perf_counter()
    plan = _setup()
    setup_s = time.perf_counter() - t0
    from huey.contrib.djhuey import HUEY

    from shaobao.core.models import TaskFailure
    from shaobao.intake.models import Demand

    clients = int(os.environ.get("SOAK_CLIENTS", "8"))
    port = _free_port()
    server = _start_server(port, var_dir)
    huey = _start_huey(var_dir)
    stats = Stats()
    load_before = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        until = time.time() + seconds
        threads = [
            threading.Thread(target=_client_loop, args=(k, port, plan, stats, until)) for k in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        load_after = os.getloadavg()[0]
        drain_until = time.time() + 120
        while HUEY.pending_count() and time.time() < drain_until:
            time.sleep(1)
    finally:
        server.terminate()
        huey.terminate()
        server.wait(timeout=60)
        huey.wait(timeout=60)
    log = (var_dir / "worker.log").read_text(errors="replace")
    server_log = (
        (var_dir / "server.log").read_text(errors="replace") if (var_dir / "server.log").exists() else ""
    )
    codes = stats.accepted
    present = set()
    for i in range(0, len(codes), 500):
        present.update(
            Demand.objects.filter(tracking_code__in=codes[i : i + 500]).values_list(
                "tracking_code", flat=True
            )
        )
    calls = sum(len(v) for v in stats.latency.values())
    return {
        "database": url.split(":", 1)[0],
        "seconds": round(wall, 1),
        "clients": clients,
        "server": f"gunicorn gthread {_served('workers', 'SOAK_WORKERS')}×{_served('threads', 'SOAK_THREADS')}",
        "setup_s": round(setup_s, 1),
        "chains_completed": sum(stats.chains.values()),
        "chains_completed_by_kind": dict(stats.chains),
        "chains_abandoned": sum(stats.abandoned.values()),
        "actions": calls,
        "actions_per_second": round(calls / wall, 1),
        "latency_ms": {
            action: {"n": len(v), "p50": _pct(v, 0.50), "p99": _pct(v, 0.99), "max": round(max(v), 1)}
            for action, v in sorted(stats.latency.items())
        },
        "responses_5xx": sum(n for (_a, s), n in stats.statuses.items() if s >= 500),
        "connection_errors": sum(n for (_a, s), n in stats.statuses.items() if s == 0),
        "unexpected_responses": {
            f"{a} {s}": n for (a, s), n in sorted(stats.unexpected.items()) if a != "triage (race)"
        },
        "races": dict(stats.races),
        "failed_tasks": TaskFailure.objects.count(),
        "task_errors_retried": log.count("Unhandled exception in task"),
        "tasks_still_queued": HUEY.pending_count(),
        "tasks_scheduled_for_retry": HUEY.scheduled_count(),
        "tasks_executed": log.count(" executed in "),
        "server_log_errors": server_log.count("Traceback"),
        "demands_accepted": len(codes),
        "accepted_demands_present": len(present),
        "accepted_demands_missing": len(set(codes) - present),
        "load_average_1m_before_after": [round(load_before, 1), round(load_after, 1)],
    }


if __name__ == "__main__":
    if "--worker" in sys.argv:
        s = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 300.0
        print(json.dumps(worker(s), ensure_ascii=False))
    else:
        import argparse

        print(json.dumps(run(argparse.Namespace(scale=1.0)), ensure_ascii=False, indent=2))
