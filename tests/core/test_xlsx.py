"""The shared export helper: what people typed is written as text, never as a formula (xlsx and CSV)."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook

from shaobao.core.xlsx import append_row, csv_row, csv_unescape

ATTACKS = [
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
]


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_formula_like_text_is_stored_as_text_and_numbers_stay_numbers():
    wb = Workbook()
    append_row(wb.active, [*ATTACKS, -5, 3.5, "普通文字"])
    out = io.BytesIO()
    wb.save(out)
    assert "<f>" not in sheet_xml(out.getvalue())  # no formula element anywhere
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=False))[0]
    assert [c.value for c in cells[: len(ATTACKS)]] == ATTACKS  # the exact text, kept
    assert all(c.data_type == "s" for c in cells[: len(ATTACKS)])
    assert [c.value for c in cells[len(ATTACKS) :]] == [-5, 3.5, "普通文字"]


def test_csv_cells_get_an_apostrophe_and_read_back_as_typed():
    row = csv_row([*ATTACKS, -5, "普通", "'引号", None])
    assert all(v.startswith("'") for v in row[: len(ATTACKS)])
    assert row[len(ATTACKS) :] == [-5, "普通", "'引号", ""]
    assert [csv_unescape(v) for v in row[: len(ATTACKS)]] == ATTACKS
    assert csv_unescape("'引号") == "'引号"
