"""`make bench` rewrites the headline table of docs/benchmarks.md from the results, and only that table."""

from __future__ import annotations

from bench import summary


def results(rate: float, p99: float) -> dict:
    return {
        "api": {
            "at": "2026-12-03T08:25:00+00:00",
            "figures": {
                "postgresql": {
                    "demands_per_second": rate,
                    "p99_ms": p99,
                    "demands_per_second_32_clients": rate * 0.9,
                },
                "sqlite": {"demands_per_second": 400.0, "p99_ms": 150.0},
            },
        },
        "routing": {"at": "2026-12-03T08:43:00+00:00", "figures": {"classify": {"one_ms_p99": 7.5}}},
    }


def test_the_table_between_the_markers_is_replaced_and_the_prose_kept(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\nintro\n{summary.START}\nold table\n{summary.END}\n## API\nprose\n")
    assert summary.write(doc, results(397.2, 33.5))
    text = doc.read_text()
    assert (
        "old table" not in text
        and text.startswith("# Benchmarks\nintro\n")
        and text.endswith("## API\nprose\n")
    )
    assert (
        "| demands accepted over HTTP, 8 clients | 397/s | 400/s | ≥ 300/s (PostgreSQL) — met | 2026-12-03 |"
        in text
    )
    # 32 clients giving 10 % less than 8 misses "more clients, no less throughput".
    assert (
        "| throughput with 32 clients ÷ with 8 | 0.9 | — | ≥ 0.95" in text
        and "throughput (PostgreSQL) — **not met**" in text
    )
    # A figure that misses its target says so; a database-independent one is marked as such.
    assert (
        "| classification of one demand, p99 (one core) | 7.5 ms | (no database) | < 5 ms — **not met** |"
        in text
    )
    summary.write(doc, results(250.0, 120.0))
    text = doc.read_text()
    assert text.count(summary.START) == 1 and "250/s" in text and "397/s" not in text
    assert "< 100 ms (PostgreSQL) — **not met**" in text


def test_without_the_markers_nothing_is_written(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# hand-written only\n")
    assert not summary.write(doc, results(397.2, 33.5))
    assert doc.read_text() == "# hand-written only\n"


def test_a_target_for_both_databases_is_met_only_when_each_meets_it():
    soak = {"at": "2026-12-04T06:00:00+00:00", "figures": {"postgresql": {"responses_5xx": 0}}}
    assert "| soak: answers 5xx | 0 | — | 0 (both databases) — met |" in summary.table({"soak": soak})
    soak["figures"]["sqlite"] = {"responses_5xx": 3}
    assert "| soak: answers 5xx | 0 | 3 | 0 (both databases) — **not met** |" in summary.table({"soak": soak})
