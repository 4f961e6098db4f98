"""`make bench`: run every bench/bench_<topic>.py and write its figures to bench/results/<topic>.json,
and all the latest figures together to bench/results.json.

Each module has `run(args) -> dict`. Pick some with `BENCH_ARGS="--only routing,evaluation"`.
Benchmarks use their own databases (see each module), never the development one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated topics (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink or grow generated data sets")
    args = parser.parse_args()
    only = {t for t in args.only.split(",") if t}
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    failures = 0
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        topic = path.stem.removeprefix("bench_")
        if only and topic not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {topic} ==", flush=True)
        started = time.perf_counter()
        try:
            figures = module.run(args)
        except Exception as exc:  # one failing benchmark must not hide the others' figures
            failures += 1
            print(f"{topic}: FAILED: {exc!r}", flush=True)
            continue
        record = {
            "topic": topic,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "seconds": round(time.perf_counter() - started, 1),
            "figures": figures,
        }
        (results_dir / f"{topic}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
    combined = {p.stem: json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))}
    (ROOT / "bench" / "results.json").write_text(json.dumps(combined, ensure_ascii=False, indent=2) + "\n")
    from bench import summary

    if summary.write(ROOT / "docs" / "benchmarks.md", combined):
        print("docs/benchmarks.md: summary table updated", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
