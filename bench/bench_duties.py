"""Duty-list speed: import, export, new draft and publish for a large list.

`run(args)` starts one worker process per database (own DATABASE_URL and Django setup):
- SQLite: a file under /tmp (always);
- PostgreSQL: BENCH_DUTIES_PG_URL (default postgres://postgres@127.0.0.1:5432/shaobao_bench_duties,
  dropped and re-created) when PostgreSQL answers on it.
Each worker migrates, creates a district with 30 streets and 400 units, writes a generated list of
BENCH_DUTIES_MATTERS matters (default 3,000 × --scale; 3 supporting units and 5 keywords each) with one
street override per 10 matters to .xlsx and .csv, then measures (wall seconds, CPU seconds of the worker,
and SQL queries):
- parse + validate the .xlsx / .csv (no writes), and a file with an error on every 10th row;
- import as a draft (with overrides), publish, new draft copied from the version in force;
- export as .xlsx / .csv, and the round trip (export → import → export equal).
Run one worker by hand: `python bench/bench_duties.py --worker --matters 3000` (with DATABASE_URL).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_DUTIES_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_duties")
SQLITE_URL = "sqlite:////tmp/shaobao_bench_duties.sqlite3"


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_DUTIES_MATTERS", 3_000 * scale))
    out = {"matters": n, "sqlite": _worker_process(SQLITE_URL, n)}
    if pg_answers():
        out["postgresql"] = _worker_process(PG_URL, n)
    return out


def _worker_process(url: str, matters: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_duties_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--matters", str(matters)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


class _Timer:
    def __init__(self):
        self.figures: dict[str, float | int] = {}

    def __call__(self, label: str, fn, *a, **kw):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            result = fn(*a, **kw)
            self.figures[f"{label}_s"] = round(time.perf_counter() - started, 3)
            # CPU time of this process: steadier than wall time on a shared machine (excludes the DB server).
            self.figures[f"{label}_cpu_s"] = round(time.process_time() - cpu, 3)
        self.figures[f"{label}_queries"] = len(queries)
        return result


def _world(n_streets: int = 30, n_units: int = 400):
    from shaobao.org.models import Division, Unit

    district = Division.objects.create(code="110117000000", name="平谷区", level="district")
    streets = Division.objects.bulk_create(
        [
            Division(code=f"110117{i:03d}000", name=f"街道{i}", level="street", parent=district)
            for i in range(1, n_streets + 1)
        ]
    )
    Unit.objects.bulk_create(
        [
            Unit(code=f"U{i:04d}", name=f"单位{i}", kind="department", division=district)
            for i in range(n_units)
        ]
    )
    return district, streets


def _rows(n: int, streets, n_units: int = 400, bad_every: int = 0):
    matters, overrides = [], []
    for i in range(n):
        lead = i % n_units
        supporting = "、".join(f"U{(lead + k) % n_units:04d}" for k in (1, 2, 3))
        row = [
            f"M{i:05d}",
            f"事项{i}",
            f"D{i % 24:02d}",
            f"领域{i % 24}",
            f"第{i}个事项的说明",
            "、".join(f"词{i}-{k}" for k in range(5)),
            f"U{lead:04d}",
            supporting,
            (i % 10) + 1,
            ("小时", "自然日", "工作日")[i % 3],
            ("一般", "紧急", "特急")[i % 3],
            "是" if i % 4 == 0 else "否",
        ]
        if bad_every and i % bad_every == 0:
            row[6] = "NOPE"
        matters.append(row)
        if i % 10 == 0:
            street = streets[i % len(streets)]
            overrides.append(
                [street.code, f"M{i:05d}", "", f"U{(lead + 7) % n_units:04d}", "否", 2, "工作日", ""]
            )
    return matters, overrides


def _xlsx(matters, overrides) -> bytes:
    from openpyxl import Workbook

    from shaobao.duties.io_columns import MATTER_COLUMNS, OVERRIDE_COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.title = "matters"
    ws.append([c.header for c in MATTER_COLUMNS])
    for r in matters:
        ws.append(r)
    o = wb.create_sheet("overrides")
    o.append([c.header for c in OVERRIDE_COLUMNS])
    for r in overrides:
        o.append([None if v == "" else v for v in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _worker(n: int) -> dict:
    import django

    fresh_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shaobao.duties.actions import do_create_draft, do_import_duty_list, do_publish
    from shaobao.duties.io import export_duty_list, parse_duty_file

    district, streets = _world()
    matters, overrides = _rows(n, streets)
    xlsx = _xlsx(matters, overrides)
    t = _Timer()
    parsed = t("parse_xlsx", parse_duty_file, xlsx, district=district, fmt="xlsx")
    assert not parsed.errors, parsed.errors[:3]
    bad_matters, _ = _rows(n, streets, bad_every=10)
    bad = t("parse_xlsx_with_errors", parse_duty_file, _xlsx(bad_matters, []), district=district, fmt="xlsx")
    t.figures["errors_reported"] = len(bad.errors)
    draft = t("import_draft", do_import_duty_list, actor=None, district=district, parsed=parsed)
    t("publish", do_publish, actor=None, duty_list_id=draft.pk)
    t("new_draft_copy", do_create_draft, actor=None, district=district, name="copy")

    out_x = io.BytesIO()
    t("export_xlsx", export_duty_list, draft, out_x, fmt="xlsx")
    out_c, out_o = io.BytesIO(), io.BytesIO()
    t("export_csv", export_duty_list, draft, out_c, fmt="csv", overrides_out=out_o)
    parsed_csv = t(
        "parse_csv",
        parse_duty_file,
        out_c.getvalue(),
        district=district,
        fmt="csv",
        overrides=out_o.getvalue(),
    )
    again = do_import_duty_list(actor=None, district=district, parsed=parsed_csv)
    out_c2, out_o2 = io.BytesIO(), io.BytesIO()
    export_duty_list(again, out_c2, fmt="csv", overrides_out=out_o2)
    t.figures["csv_round_trip_equal"] = (
        out_c.getvalue() == out_c2.getvalue() and out_o.getvalue() == out_o2.getvalue()
    )
    t.figures["xlsx_bytes"] = len(out_x.getvalue())
    t.figures["overrides"] = len(overrides)
    return t.figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        n = int(sys.argv[sys.argv.index("--matters") + 1]) if "--matters" in sys.argv else 3_000
        print(json.dumps(_worker(n)))
    else:
        print(json.dumps(run(None), indent=2))
