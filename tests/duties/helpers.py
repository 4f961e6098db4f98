"""Building duty files for tests: rows in, .xlsx/.csv bytes out."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from shaobao.duties.io_columns import MATTER_COLUMNS, OVERRIDE_COLUMNS

MATTER_HEADER = [c.header for c in MATTER_COLUMNS]
OVERRIDE_HEADER = [c.header for c in OVERRIDE_COLUMNS]


def matter_row(**kw) -> list:
    """A good matter row for the `world` fixture; override cells by column key."""
    row = {
        "code": "CG-001",
        "name": "违法建设",
        "domain_code": "CSGL",
        "domain_name": "城市管理",
        "description": "",
        "keywords": "违建、私搭乱建",
        "lead_unit": "CGZF",
        "supporting_units": "ZJW",
        "time_limit": 7,
        "time_limit_unit": "工作日",
        "default_urgency": "一般",
        "street_may_handle": "否",
    }
    row.update(kw)
    return [row[c.key] for c in MATTER_COLUMNS]


def override_row(**kw) -> list:
    row = {
        "street": "110117001000",
        "matter": "CG-001",
        "lead_unit": "",
        "supporting_units": "BH-CG",
        "replace_supporting_units": "否",
        "time_limit": "",
        "time_limit_unit": "",
        "street_may_handle": "",
    }
    row.update(kw)
    return [row[c.key] for c in OVERRIDE_COLUMNS]


def xlsx_bytes(matters: list[list], overrides: list[list] | None = None, header=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "matters"
    ws.append(header or MATTER_HEADER)
    for row in matters:
        ws.append([None if v == "" else v for v in row])
    if overrides is not None:
        o = wb.create_sheet("overrides")
        o.append(OVERRIDE_HEADER)
        for row in overrides:
            o.append([None if v == "" else v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], header=None, encoding="utf-8-sig") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header or MATTER_HEADER)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_values(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's cell values: what 'the same content' means for two .xlsx files."""
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
