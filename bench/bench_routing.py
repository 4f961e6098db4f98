"""Routing speed: matter classification, duplicate lookup with 1,000,000 stored demands, model memory.

`run(args)` starts worker processes pinned to one CPU (`os.sched_setaffinity`, BLAS threads 1):
- classify: trains the production configuration on ../shared/data/messages/labeled_train.csv (+ the
  unlabelled messages, + the demo duty list as prior) — or, without the data, on generated texts — then
  measures one-demand latency (p50/p99 over 3,000 real messages, one call each), batch throughput
  (`predict_proba` over 7,000 texts in batches of 500), the pickled size and the RSS added by loading it;
- duplicates (PostgreSQL, when it answers): BENCH_ROUTING_PG_URL (default
  postgres://postgres@127.0.0.1:5432/shaobao_bench_routing, dropped and re-created), migrated, filled by
  COPY with BENCH_ROUTING_DEMANDS demands (default 1,000,000 × --scale) over 18 streets, 365 days,
  113 matters, 15 % open (BENCH_ROUTING_REUSE=1 measures again on the database a full run left,
  migrating it first); `fingerprint_demands` stores the open demands' fingerprints (timed; lookups would
  otherwise fill them lazily); then p50/p99 of `find_duplicates` for 2,000 random lookups (a message
  about a random street, its top-3 matters), and the query plan.
Run one worker by hand: `python bench/bench_routing.py --worker classify` or
`DATABASE_URL=... python bench/bench_routing.py --worker duplicates --demands 1000000`.
"""

from __future__ import annotations

import csv
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
PG_URL = os.environ.get("BENCH_ROUTING_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_routing")
VAR = "/tmp/shaobao_bench_routing_var"
STREETS = 18


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    out = {"classify": _worker("classify", "sqlite:////tmp/shaobao_bench_routing.sqlite3")}
    if pg_answers():
        n = int(os.environ.get("BENCH_ROUTING_DEMANDS", 1_000_000 * scale))
        out["duplicates_postgresql"] = _worker("duplicates", PG_URL, "--demands", str(n))
    return out


def _worker(kind: str, url: str, *extra: str) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SHAOBAO_VAR_DIR=VAR,
        DEBUG="0",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", kind, *extra]
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


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _messages() -> list[tuple[str, str]]:
    if not DATA.is_dir():
        rng = random.Random(1)
        words = "小区 楼顶 违建 噪音 垃圾 停车 工资 学校 医院 道路 路灯 污水 物业 暖气 施工 摊贩 公交 社保".split()
        return [("".join(rng.choices(words, k=4)), "".join(rng.choices(words, k=60))) for _ in range(7000)]
    rows = []
    for name in ("unlabeled.csv", "replied.csv"):
        with open(DATA / name, encoding="utf-8") as f:
            rows += [(r["subject"], r["body"]) for r in csv.DictReader(f)]
    return rows


def _classify() -> dict:
    from shaobao.routing.classifier import TextClassifier
    from shaobao.routing.evaluation import read_csv
    from shaobao.routing.text import join_text
    from shaobao.routing.training import DEFAULT_CONFIG, prior_from_demo

    messages = [join_text(s, b) for s, b in _messages()]
    if DATA.is_dir():
        texts, labels = read_csv(
            DATA / "labeled_train.csv", text_columns=["subject", "body"], label_column="label"
        )
    else:
        texts, labels = messages[:300], [str(i % 7) for i in range(300)]
    started = time.perf_counter()
    model = TextClassifier(DEFAULT_CONFIG).fit(texts, labels, unlabeled=messages, prior=prior_from_demo())
    train_s = time.perf_counter() - started
    blob = model.to_bytes()
    del model
    import gc

    gc.collect()
    before = _rss_mb()
    model = TextClassifier.from_bytes(blob)
    model.rank("预热")  # first call builds lazy structures (jieba is not used; opencc loads here)
    loaded = _rss_mb() - before
    _log(f"trained in {train_s:.1f}s, pickled {len(blob) / 1e6:.1f} MB, +{loaded:.0f} MB RSS")
    rng = random.Random(3)
    sample = rng.sample(messages, min(3000, len(messages)))
    times, cpu = [], []
    for text in sample:
        t, c = time.perf_counter(), time.process_time()
        model.rank(text, k=5)
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    batch = messages[:7000]
    t, c = time.perf_counter(), time.process_time()
    for i in range(0, len(batch), 500):
        model.predict_proba(batch[i : i + 500])
    per_s = len(batch) / (time.perf_counter() - t)
    per_cpu_s = len(batch) / (time.process_time() - c)
    huge = "违建" * 50_000
    t = time.perf_counter()
    model.rank(huge)
    return {
        "method": model.method,
        "train_seconds": round(train_s, 1),
        "one_ms_p50": _pct(times, 0.5),
        "one_ms_p99": _pct(times, 0.99),
        "one_ms_max": round(max(times), 3),
        "one_cpu_ms_p50": _pct(cpu, 0.5),
        "one_cpu_ms_p99": _pct(cpu, 0.99),
        "batch_per_cpu_second": round(per_cpu_s),
        "load_average": os.getloadavg()[0],
        "one_100k_chars_ms": round((time.perf_counter() - t) * 1000, 3),
        "batch_per_second": round(per_s),
        "pickled_mb": round(len(blob) / 1e6, 2),
        "loaded_rss_mb": round(loaded, 1),
        "process_rss_mb": round(_rss_mb(), 1),
        "texts": len(sample),
    }


def _generate(n: int, messages: list[tuple[str, str]]) -> dict:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from shaobao.demo.fixtures.matters import DOMAINS, load_matters
    from shaobao.duties.models import Domain, DutyList, Matter
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division, Unit

    district = Division.objects.create(code="990101000000", name="基准区", level="district")
    streets = [
        Division.objects.create(
            code=f"990101{s + 1:03d}000", name=f"街道{s}", level="street", parent=district
        )
        for s in range(STREETS)
    ]
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
    fields = [f for f in Demand._meta.concrete_fields if not f.primary_key]
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
                row = dict(defaults)
                row.update(
                    tracking_code=f"B{i:09d}",
                    channel="hotline_12345",
                    kind="complaint",
                    subject=subject[:200],
                    body=body[:160],
                    urgency="normal",
                    street_id=streets[rng.randrange(STREETS)].pk,
                    matter_id=None if state == "received" else rng.choice(matter_ids),
                    state=state,
                    received_at=now - dt.timedelta(seconds=rng.randrange(365 * 86400)),
                    rework_count=0,
                )
                copy.write_row([row[c] for c in columns])
                if i and i % 200_000 == 0:
                    _log(f"{i} demands copied")
        cur.execute("ANALYZE intake_demand")
    return {
        "generate_seconds": round(time.perf_counter() - started, 1),
        "streets": STREETS,
        "matters": len(matter_ids),
    }


def _duplicates(n: int) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from shaobao.duties.models import Matter
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division
    from shaobao.routing import duplicates
    from shaobao.routing.cold_start import KeywordClassifier, MatterText

    messages = _messages()
    if os.environ.get("BENCH_ROUTING_REUSE") == "1":  # measure again on the database left by a full run
        figures = {"reused_database": True}
        call_command("migrate", verbosity=0)  # new routing tables (fingerprints) on an older database
        n = Demand.objects.count()
    else:
        fresh_database(os.environ["DATABASE_URL"])
        connection.close()
        call_command("migrate", verbosity=0)
        _log(f"migrated; copying {n} demands")
        figures = _generate(n, messages)
        _log(f"generated in {figures['generate_seconds']}s")
    from shaobao.routing.models import DemandFingerprint

    started, c = time.perf_counter(), time.process_time()
    call_command("fingerprint_demands", verbosity=0)  # open demands; lookups would fill them lazily
    figures |= {
        "backfill_seconds": round(time.perf_counter() - started, 1),
        "backfill_cpu_seconds": round(time.process_time() - c, 1),
        "fingerprints": DemandFingerprint.objects.count(),
    }
    _log(f"fingerprints: {figures}")
    matters = list(Matter.objects.select_related("domain"))
    keyword = KeywordClassifier(
        MatterText(m.code, m.name, m.description, tuple(m.keywords), m.pk) for m in matters
    )
    streets = list(Division.objects.filter(level="street"))
    rng = random.Random(5)
    times, cpu, found = [], [], 0
    for k in range(2000):
        subject, body = messages[rng.randrange(len(messages))]
        top = [m.pk for m in matters if m.code in {c for c, _ in keyword.rank(subject + body, k=3)}]
        t, c = time.perf_counter(), time.process_time()
        hits = duplicates.find_duplicates(
            subject=subject, body=body, street=rng.choice(streets), matter_ids=top
        )
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
        found += bool(hits)
        if k == 0:
            duplicates.find_duplicates(subject=subject, body=body, street=streets[0], matter_ids=top)
    with connection.cursor() as cur:
        street = streets[0]
        cur.execute(
            "EXPLAIN ANALYZE SELECT id FROM intake_demand WHERE street_id = %s AND state IN "
            "('received','self_handling','handled','whistled','reopened') AND received_at >= now() - interval '30 days' "
            "ORDER BY received_at DESC LIMIT 300",
            [street.pk],
        )
        plan = [r[0] for r in cur.fetchall()]
    return figures | {
        "demands": n,
        "window_days": settings.DUPLICATE_WINDOW_DAYS,
        "lookup_ms_p50": _pct(times, 0.5),
        "lookup_ms_p99": _pct(times, 0.99),
        "lookup_ms_max": round(max(times), 3),
        "lookup_client_cpu_ms_p50": _pct(cpu, 0.5),
        "lookup_client_cpu_ms_p99": _pct(cpu, 0.99),
        "load_average": os.getloadavg()[0],
        "lookups": len(times),
        "lookups_with_candidates": found,
        "plan": plan[:4],
    }


def _worker_main(kind: str, demands: int) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    result = _classify() if kind == "classify" else _duplicates(demands)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("classify", "duplicates"), required=True)
    parser.add_argument("--demands", type=int, default=1_000_000)
    a = parser.parse_args()
    _worker_main(a.worker, a.demands)
