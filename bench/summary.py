"""The table of headline figures that `make bench` writes into docs/benchmarks.md.

Each row names a figure in bench/results/<topic>.json by its path and, where an issue sets one, the target.
The table sits between two markers in docs/benchmarks.md; the text around it is written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

START = "<!-- bench-summary:start (written by `make bench`: bench/summary.py) -->"
END = "<!-- bench-summary:end -->"

# (topic, label, path inside a database's "figures" (or a function of them), unit, target, passes(value) or None)
ROWS = [
    (
        "api",
        "demands accepted over HTTP, 8 clients",
        "demands_per_second",
        "/s",
        "≥ 300/s (PostgreSQL)",
        lambda v: v >= 300,
    ),
    ("api", "latency p99 of those requests", "p99_ms", " ms", "< 100 ms (PostgreSQL)", lambda v: v < 100),
    ("api", "demands accepted over HTTP, 32 clients", "demands_per_second_32_clients", "/s", "", None),
    ("api", "latency p99 with 32 clients", "p99_ms_32_clients", " ms", "", None),
    (
        "api",
        "throughput with 32 clients ÷ with 8",
        lambda f: _ratio(f, "demands_per_second_32_clients", "demands_per_second"),
        "",
        "≥ 0.95: more clients, no less throughput (PostgreSQL)",
        lambda v: v >= 0.95,
    ),
    (
        "hotline",
        "12345 orders accepted over HTTP, batches of 50",
        "orders_per_second_batches",
        "/s",
        "",
        None,
    ),
    (
        "hotline",
        "12345 orders accepted over HTTP, one per request",
        "orders_per_second_single",
        "/s",
        "",
        None,
    ),
    (
        "workflow",
        "whole chains through the actions, sequential",
        "chains_sequential.chains_per_s",
        "/s",
        "",
        None,
    ),
    (
        "workflow",
        "sweep pass: 1,000,000 open summonses, 1 % due",
        "sweep.first_pass_s",
        " s",
        "< 1 s (PostgreSQL)",
        lambda v: v < 1,
    ),
    (
        "routing",
        "classification of one demand, p99 (one core)",
        "classify.one_ms_p99",
        " ms",
        "< 5 ms",
        lambda v: v < 5,
    ),
    (
        "routing",
        "classification in batch (one core)",
        "classify.batch_per_second",
        "/s",
        "≥ 2,000/s",
        lambda v: v >= 2000,
    ),
    ("routing", "memory of the loaded model", "classify.loaded_rss_mb", " MB", "< 200 MB", lambda v: v < 200),
    (
        "duplicates",
        "duplicate lookup p99, 1,000,000 demands",
        "lookup_ms_p99",
        " ms",
        "< 20 ms (PostgreSQL)",
        lambda v: v < 20,
    ),
    (
        "evaluation",
        "monthly ranking of all units and streets (PostgreSQL 10 M demands, SQLite 1 M)",
        "ranking_all_units_and_streets.median_ms",
        " ms",
        "< 500 ms (PostgreSQL, 10 M demands)",
        lambda v: v < 500,
    ),
    (
        "evaluation",
        "evaluation index page",
        "pages.evaluation:index.median_ms",
        " ms",
        "< 500 ms",
        lambda v: v < 500,
    ),
    (
        "evaluation",
        "drill-down to the demands behind a figure",
        "pages.evaluation:drill demands.median_ms",
        " ms",
        "< 500 ms",
        lambda v: v < 500,
    ),
    (
        "topics",
        "a month's topic candidates (每月一题), 10 M demands, demands in arrival order",
        "compute_month_in_arrival_order.median_ms",
        " ms",
        "< 2 s (PostgreSQL, 10 M demands)",
        lambda v: v < 2000,
    ),
    ("placement", "placing a point on 100,000 grids, p99", "locate.p99_ms", " ms", "", None),
    ("soak", "soak, 8 API clients + worker: chains completed", "chains_completed", "", "", None),
    ("soak", "soak: actions per second", "actions_per_second", "/s", "", None),
    ("soak", "soak: answers 5xx", "responses_5xx", "", "0 (both databases)", lambda v: v == 0),
    ("soak", "soak: failed background tasks", "failed_tasks", "", "0 (both databases)", lambda v: v == 0),
    (
        "soak",
        "soak: accepted demands missing afterwards",
        "accepted_demands_missing",
        "",
        "0 (both databases)",
        lambda v: v == 0,
    ),
    (
        "placement_text",
        "hotline demands placed from their words, street level",
        "street_accuracy",
        "",
        "≥ 0.95",
        lambda v: v >= 0.95,
    ),
    (
        "placement_text",
        "… placed in a wrong street (worse than asking)",
        "wrong_street",
        "",
        "",
        None,
    ),
    (
        "web",
        "dispatcher's demand page (with routing proposal)",
        "dispatcher: demand page (triage, routing proposal).median_ms",
        " ms",
        "",
        None,
    ),
    (
        "forces",
        "list of 10,000 deployments, a page (p95)",
        "coordinator: deployment list, page 1.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "forces",
        "… its last page (p95)",
        "coordinator: deployment list, last page.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "forces",
        "… through the API, a deep page of 100 (p95)",
        "coordinator: API deployments, page of 100, deep.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "checkin",
        "双报到 member list, 500,000 members: slowest page of the list (median)",
        "slowest_list_median_ms",
        " ms",
        "< 300 ms per page (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "checkin",
        "… its reports page, 30 days over a million service records",
        "coordinator: reports (30 days).median_ms",
        " ms",
        "< 1 s (PostgreSQL)",
        lambda v: v < 1000,
    ),
    (
        "province",
        "province: demands in the five years generated (full organisation: docs/scale.md)",
        "demands",
        "",
        "",
        None,
    ),
    ("province", "… database size", "database_gb", " GB", "", None),
    (
        "province",
        "… demands over HTTP, 8 clients, placed by coordinates among 398,000 grids",
        "intake_http.demands_per_second",
        "/s",
        "",
        None,
    ),
    (
        "province",
        "… demands received through the action, one process",
        "intake_actions_per_second_one_process",
        "/s",
        "",
        None,
    ),
    (
        "province",
        "… a dispatcher's demand list, first page (p95)",
        "reads.dispatcher: demand list, first page.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "province",
        "… the list searched for a word, the last year (p95)",
        "reads.dispatcher: demand list, search a word.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "province",
        "… the same, all time chosen (p95)",
        "reads.dispatcher: demand list, search a word in all time.p95_ms",
        " ms",
        "",
        None,
    ),
    (
        "province",
        "… an open demand's page (p95)",
        "reads.dispatcher: a demand's page (open ones, routing proposal).p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "province",
        "… a demand's page in a mass event: 10,000 of the township's demands in 30 days (p95)",
        "reads.dispatcher: a demand's page in a mass event.p95_ms",
        " ms",
        "< 300 ms (PostgreSQL)",
        lambda v: v < 300,
    ),
    (
        "province",
        "… a county's board (p95)",
        "reads.county: board (/platform/).p95_ms",
        " ms",
        "< 1 s (PostgreSQL)",
        lambda v: v < 1000,
    ),
    (
        "province",
        "… a month's ranking of all a city's units and streets (median)",
        "reads.city: a month's ranking of all its counties' units and streets.p50_ms",
        " ms",
        "< 1 s (PostgreSQL)",
        lambda v: v < 1000,
    ),
    (
        "province",
        "… the deadline sweep over all open summonses",
        "sweep.first_pass_s",
        " s",
        "< 5 s (PostgreSQL)",
        lambda v: v < 5,
    ),
]
DATABASES = (("postgresql", "PostgreSQL"), ("sqlite", "SQLite"))


def _ratio(figures: dict, numerator: str, denominator: str):
    a, b = _dig(figures, numerator), _dig(figures, denominator)
    return round(a / b, 2) if a is not None and b else None


def _dig(figures: dict, path):
    # A single-database topic (routing) keeps its figures at the top level.
    if callable(path):
        return path(figures)
    node = figures
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, int | float) else None


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if value >= 100 else f"{value:,.3g}" if value < 10 else f"{value:,.1f}"
    return text + unit


def table(results: dict) -> str:
    lines = [
        "| figure | PostgreSQL | SQLite | target | measured on |",
        "|---|---|---|---|---|",
    ]
    for topic, label, path, unit, target, passes in ROWS:
        record = results.get(topic)
        if not record:
            continue
        figures = record.get("figures", {})
        verdict = []
        if any(key in figures for key, _ in DATABASES):
            values = [_dig(figures[key], path) if key in figures else None for key, _ in DATABASES]
            cells = [_fmt(v, unit) for v in values]
            judged = values[0]
        else:  # a figure that involves no database (the classifier)
            judged = _dig(figures, path)
            cells = [_fmt(judged, unit), "(no database)"]
        if passes and "both databases" in target:  # each database measured must meet it
            measured = [v for v in values if v is not None]
            if measured:
                verdict.append("met" if all(passes(v) for v in measured) else "**not met**")
        elif passes and judged is not None:
            verdict.append("met" if passes(judged) else "**not met**")
        target_cell = f"{target} — {verdict[0]}" if target and verdict else target
        lines.append(
            f"| {label.strip()} | {cells[0]} | {cells[1]} | {target_cell} | {record.get('at', '')[:10]} |"
        )
    return "\n".join(lines)


def write(doc: Path, results: dict) -> bool:
    """Replace the table between the markers; False when the markers are missing (nothing written)."""
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}", encoding="utf-8")
    return True


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    combined = json.loads((root / "bench" / "results.json").read_text())
    print(table(combined))
