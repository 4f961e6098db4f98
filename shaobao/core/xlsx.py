"""Spreadsheet exports that never run what people typed (formula or "CSV injection").

Names, subjects, notes and duty-list entries are typed by residents, staff and administrators. A cell that
starts with `=`, `+`, `-` or `@` (or a tab / carriage return, which some spreadsheet programs skip before
reading one of those) is taken as a formula by Excel and LibreOffice: `=HYPERLINK(...)` sends a click
elsewhere, `=cmd|' /C calc'!A0` runs a program (DDE). Every export writes such text as text:

- xlsx: the cell keeps its exact value but is stored as a string (`data_type "s"`, written as an inline
  string, read back by openpyxl as that same string), with the "quote prefix" style Excel itself sets when
  one types `'=1`, so editing the cell does not turn it into a formula either.
- CSV has no types: such a value is written with a leading apostrophe (`'=1+1`, the OWASP advice);
  `csv_unescape` removes it again when we read our own CSV back (the duty-list round trip).

Numbers, dates and booleans are written as they are (a negative amount stays a number).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if is_formula_like(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(v) for v in values]


def csv_unescape(value: Any) -> Any:
    """Undo `csv_value` on a cell read from a CSV we wrote (`'=x` → `=x`; `'abc` stays)."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def text_cell(cell) -> None:
    """Make an openpyxl cell whose value is formula-like text hold it as text."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(ws, values: Iterable[Any]) -> None:
    """`ws.append(values)`, with every formula-like text written as text (see the module docstring)."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        text_cell(cell)


def secure_workbook(wb) -> None:
    """Turn every formula-like text cell of a finished workbook into text (for code that fills cells
    one by one); call just before saving."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text_cell(cell)
