"""Duty list files (.xlsx and .csv): reading, validating and writing. See docs/duties.md for the layout.

Reading never writes: `parse_duty_file` returns the rows ready to insert plus the full list of errors, each
placed by sheet, row and column, so a user fixes the file in one pass. `actions.do_import_duty_list` writes
a file only when that error list is empty.

An .xlsx holds two sheets, "matters" and "overrides". A .csv holds the matters; the street overrides travel
in a companion file beside it, `<name>.overrides.csv` (written by export, read by import when present).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shaobao.core.xlsx import append_row, csv_row, csv_unescape
from shaobao.duties.io_columns import (
    MATTER_COLUMNS,
    OVERRIDE_COLUMNS,
    OVERRIDES_SHEET_NAMES,
    URGENCY_OUT,
    Column,
    bool_out,
    unit_out,
)
from shaobao.duties.io_validate import Issue, validate_tables
from shaobao.duties.models import DutyList

__all__ = [
    "Issue",
    "ParsedDutyList",
    "Table",
    "export_duty_list",
    "file_format",
    "overrides_path_for",
    "parse_duty_file",
    "read_tables",
]

FORMATS = ("xlsx", "csv")
MATTERS_SHEET = "matters"
OVERRIDES_SHEET = "overrides"


@dataclass
class Table:
    """One sheet as read: its header cells and data rows, each with its spreadsheet row number (header = 1)."""

    sheet: str
    header: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]]


@dataclass
class ParsedDutyList:
    matters: list = field(default_factory=list)  # io_validate.MatterRow
    overrides: list = field(default_factory=list)  # io_validate.OverrideRow
    new_domains: dict[str, str] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    source_name: str = ""


def file_format(name: str) -> str:
    """The format from a file name's extension: "xlsx" or "csv"."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(
            f"只支持 .xlsx 和 .csv 文件 / only .xlsx and .csv files are supported (got {name!r})"
        )
    return ext


def overrides_path_for(path: Path) -> Path:
    """`duties.csv` → `duties.overrides.csv`: where the CSV variant keeps the street overrides."""
    return path.with_name(f"{path.stem}.overrides.csv")


# --- reading -------------------------------------------------------------------------------------------


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(sheet: str, raw_rows) -> Table | None:
    """Rows with their spreadsheet numbers; blank rows are skipped, the first non-blank one is the header."""
    header: list[Any] | None = None
    header_row = 0
    rows: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(raw_rows, start=1):
        cells = list(row)
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header, header_row = cells, number
        else:
            rows.append((number, cells))
    if header is None:
        return None
    return Table(sheet, header, header_row, rows)


def _read_xlsx(data: bytes) -> tuple[dict[str, Table], list[Issue]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException on a broken file
        return {}, [
            Issue("", None, "", "", f"不是有效的 .xlsx 文件：{exc}", f"not a valid .xlsx file: {exc}")
        ]
    try:
        names = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers store a wrong sheet size; read what is really there
        named = [names[n] for n in (MATTERS_SHEET, "事项") if n in names]
        matters_ws = named[0] if named else wb.worksheets[0]
        tables: dict[str, Table] = {}
        t = _table(matters_ws.title, matters_ws.iter_rows(values_only=True))
        if t is not None:
            tables[MATTERS_SHEET] = t
        for key in OVERRIDES_SHEET_NAMES:
            ws = names.get(key)
            if ws is not None and ws is not matters_ws:
                t = _table(ws.title, ws.iter_rows(values_only=True))
                if t is not None:
                    tables[OVERRIDES_SHEET] = t
                break
        return tables, []
    finally:
        wb.close()


def _decode(data: bytes, sheet: str) -> tuple[str | None, list[Issue]]:
    # Excel in China saves CSV as GB18030/GBK unless told otherwise; accept both.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), []
        except UnicodeDecodeError:
            continue
    return None, [
        Issue(sheet, None, "", "", "无法识别文件编码（请用 UTF-8）", "unknown text encoding (use UTF-8)")
    ]


def _read_csv(data: bytes, sheet: str) -> tuple[Table | None, list[Issue]]:
    text, errors = _decode(data, sheet)
    if text is None:
        return None, errors
    rows = csv.reader(io.StringIO(text, newline=""))
    # csv_unescape: our exports write formula-like text as `'=…` (see core.xlsx); read it back as typed.
    return _table(sheet, ([csv_unescape(c) if c.strip() else None for c in row] for row in rows)), []


def _bytes(source: Path | str | bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def read_tables(
    source: Path | str | bytes | IO[bytes],
    *,
    fmt: str,
    overrides: Path | str | bytes | IO[bytes] | None = None,
) -> tuple[dict[str, Table], list[Issue]]:
    """The sheets of a duty file by role ("matters", "overrides"); file-level problems as issues."""
    data = _bytes(source)
    if fmt == "xlsx":
        return _read_xlsx(data)
    tables: dict[str, Table] = {}
    table, errors = _read_csv(data, MATTERS_SHEET)
    if table is not None:
        tables[MATTERS_SHEET] = table
    if overrides is not None:
        o_table, o_errors = _read_csv(_bytes(overrides), OVERRIDES_SHEET)
        errors += o_errors
        if o_table is not None:
            tables[OVERRIDES_SHEET] = o_table
    return tables, errors


def parse_duty_file(
    source: Path | str | bytes | IO[bytes],
    *,
    district,
    fmt: str,
    overrides: Path | str | bytes | IO[bytes] | None = None,
    source_name: str = "",
) -> ParsedDutyList:
    """Read and check a duty file against the database (units, domains, streets of `district`); no writes."""
    tables, errors = read_tables(source, fmt=fmt, overrides=overrides)
    parsed = ParsedDutyList(source_name=source_name)
    if errors:
        parsed.errors = errors
        return parsed
    matters, overrides_rows, new_domains, issues = validate_tables(tables, district=district)
    parsed.matters, parsed.overrides, parsed.new_domains, parsed.errors = (
        matters,
        overrides_rows,
        new_domains,
        issues,
    )
    return parsed


# --- writing -------------------------------------------------------------------------------------------


def _join(values) -> str:
    return "、".join(values)


def _codes_by_owner(through_qs, owner: str) -> dict[int, list[str]]:
    """{owner id: sorted unit codes} from an m2m through table, without building model instances."""
    out: dict[int, list[str]] = {}
    for owner_id, code in through_qs.values_list(owner, "unit__code"):
        out.setdefault(owner_id, []).append(code)
    return {k: sorted(v) for k, v in out.items()}


def _matter_rows(duty_list: DutyList) -> list[list[Any]]:
    from shaobao.duties.models import Matter

    supporting = _codes_by_owner(
        Matter.supporting_units.through.objects.filter(matter__duty_list=duty_list), "matter_id"
    )
    fields = (
        "pk", "code", "name", "domain__code", "domain__name", "description", "keywords", "lead_unit__code",
        "time_limit", "time_limit_unit", "default_urgency", "street_may_handle",
    )  # fmt: skip
    rows = []
    for (
        pk,
        code,
        name,
        d_code,
        d_name,
        desc,
        keywords,
        lead,
        limit,
        unit,
        urgency,
        may,
    ) in duty_list.matters.order_by("code").values_list(*fields):
        rows.append(
            [
                code,
                name,
                d_code,
                d_name,
                desc,
                _join(keywords),
                lead,
                _join(supporting.get(pk, [])),
                limit,
                unit_out(unit),
                URGENCY_OUT.get(urgency, urgency),
                bool_out(may),
            ]  # fmt: skip
        )
    return rows


def _override_rows(duty_list: DutyList) -> list[list[Any]]:
    from shaobao.duties.models import MatterOverride

    overrides = MatterOverride.objects.filter(matter__duty_list=duty_list)
    supporting = _codes_by_owner(
        MatterOverride.supporting_units.through.objects.filter(matteroverride__in=overrides),
        "matteroverride_id",
    )
    fields = (
        "pk", "street__code", "matter__code", "lead_unit__code", "replace_supporting_units", "time_limit",
        "time_limit_unit", "street_may_handle",
    )  # fmt: skip
    return [
        [
            street,
            matter,
            lead or "",
            _join(supporting.get(pk, [])),
            bool_out(replace),
            limit if limit else "",
            unit_out(unit) if unit else "",
            "" if may is None else bool_out(may),
        ]
        for pk, street, matter, lead, replace, limit, unit, may in overrides.order_by(
            "street__code", "matter__code"
        ).values_list(*fields)
    ]


def _headers(columns: list[Column]) -> list[str]:
    return [c.header for c in columns]


def _write_csv(out: IO[bytes], header: list[str], rows: list[list[Any]]) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(csv_row(header))
    writer.writerows([csv_row(row) for row in rows])
    # BOM so that Excel opens the Chinese text as UTF-8.
    out.write(text.getvalue().encode("utf-8-sig"))


def _write_xlsx(out: IO[bytes], sheets: list[tuple[str, list[str], list[list[Any]]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(ws, [None if v == "" else v for v in row])  # formula-like text stays text
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(h) * 2))
    wb.save(out)


def export_duty_list(
    duty_list: DutyList, out: IO[bytes], *, fmt: str, overrides_out: IO[bytes] | None = None
):
    """Write a version in the import layout. For CSV the overrides go to `overrides_out` when given."""
    matters = _matter_rows(duty_list)
    overrides = _override_rows(duty_list)
    if fmt == "xlsx":
        _write_xlsx(
            out,
            [
                (MATTERS_SHEET, _headers(MATTER_COLUMNS), matters),
                (OVERRIDES_SHEET, _headers(OVERRIDE_COLUMNS), overrides),
            ],
        )
    elif fmt == "csv":
        _write_csv(out, _headers(MATTER_COLUMNS), matters)
        if overrides_out is not None:
            _write_csv(overrides_out, _headers(OVERRIDE_COLUMNS), overrides)
    else:
        raise ValueError(fmt)
