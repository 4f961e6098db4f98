"""Routing speed: matter classification and the loaded model's memory (`--only routing`).

`run(args)` starts a worker process pinned to one CPU (`os.sched_setaffinity`, BLAS threads 1) that
trains the production configuration on ../shared/data/messages/labeled_train.csv (+ the unlabelled
messages, + the demo duty list as prior) — or, without the data, on generated texts — then measures
one-demand latency (p50/p99 over 3,000 real messages, one call each, wall and CPU), batch throughput
(`predict_proba` over 7,000 texts in batches of 500), the pickled size and the RSS added by loading it.
The duplicate lookup is measured by bench/bench_duplicates.py (`--only duplicates`).
Run the worker by hand: `python bench/bench_routing.py --worker classify`.
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

DATA = ROOT.parent / "shared" / "data" / "messages"
VAR = "/tmp/shaobao_bench_routing_var"


def run(args) -> dict:
    return {"classify": _worker("classify", "sqlite:////tmp/shaobao_bench_routing.sqlite3")}


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


def _worker_main(kind: str) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    result = _classify()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("classify",), required=True)
    a = parser.parse_args()
    _worker_main(a.worker)
