"""The list of delegated powers as a spreadsheet (.xlsx; .csv also read): export, and import checked in
full before anything is written.

Reading never writes: `parse_powers_file` returns the rows plus every error, placed by sheet, row and
column (`duties.io_validate.Issue`), so a user fixes the file in one pass; `actions.do_import_powers`
writes only a file without errors, in one transaction. The layout (headers matched by key or Chinese label,
in any order, as in the duty list) is in docs/lists.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO, Any

from shaobao.core.xlsx import append_row
from shaobao.duties.io import file_format, read_tables
from shaobao.duties.io_columns import CODE_SPLIT, CellError, Column, boolean, split_list, text
from shaobao.duties.io_validate import _BAD, Issue, _cell, _required, _resolve, _Sheet
from shaobao.org.models import Division, Unit
from shaobao.powers.actions import PowerFields, district_streets, known_matter_codes, resolve_streets
from shaobao.powers.models import DelegatedPower, PowerCategory, PowerStatus

SHEET = "powers"
COLUMNS = [
    Column("code", "权力编码", required=True),
    Column("name", "权力名称", required=True),
    Column("category", "权力类别", required=True),
    Column("legal_basis", "法律依据", required=True),
    Column("department", "下放部门", required=True),
    Column("streets", "承接街乡", required=True),
    Column("effective_date", "生效日期", required=True),
    Column("matters", "对应事项"),
    Column("withdrawn", "已撤回"),
    Column("withdrawal_reason", "撤回理由"),
]
CATEGORY_IN = {
    **{c: c for c in PowerCategory.values},
    "行政处罚": "penalty",
    "处罚": "penalty",
    "行政检查": "inspection",
    "检查": "inspection",
    "行政强制措施": "enforcement_measure",
    "行政强制": "enforcement_measure",
    "强制措施": "enforcement_measure",
    "行政许可": "licensing",
    "许可": "licensing",
    "其他": "other",
    "其他行政权力": "other",
    "enforcement measure": "enforcement_measure",
}
CATEGORY_OUT = {
    "penalty": "行政处罚",
    "inspection": "行政检查",
    "enforcement_measure": "行政强制措施",
    "licensing": "行政许可",
    "other": "其他行政权力",
}
MAX_LENGTH = {"code": 40, "name": 200}


@dataclass
class PowerRow:
    row: int
    fields: PowerFields
    withdrawn: bool = False
    withdrawal_reason: str = ""


@dataclass
class ParsedPowers:
    rows: list[PowerRow] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    source_name: str = ""


# --- reading --------------------------------------------------------------------------------------


def _sized(key: str):
    def read(value: Any) -> str:
        s = text(value)
        if key in MAX_LENGTH and len(s) > MAX_LENGTH[key]:
            raise CellError(f"超过 {MAX_LENGTH[key]} 个字符", f"longer than {MAX_LENGTH[key]} characters")
        return s

    return read


def _category(value: Any) -> str:
    raw = text(value)
    found = CATEGORY_IN.get(raw) or CATEGORY_IN.get(raw.lower())
    if found is None:
        allowed = "、".join(f"{k}/{v}" for k, v in CATEGORY_OUT.items())
        raise CellError(
            f"未知的权力类别「{raw}」（可用：{allowed}）", f"unknown category '{raw}' (use: {allowed})"
        )
    return found


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CellError(f"日期格式应为 YYYY-MM-DD，不是「{raw}」", f"bad date '{raw}': use YYYY-MM-DD")


class _Refs:
    def __init__(self, district: Division, department_codes: set[str]):
        self.district = district
        self.departments = {u.code: u for u in Unit.objects.filter(code__in=department_codes)}
        self.streets = district_streets(district)
        self.matters = known_matter_codes(district)

    def department(self, value: Any) -> Unit:
        code = text(value)
        unit = self.departments.get(code)
        if unit is None:
            raise CellError(f"单位 {code} 不存在", f"unknown unit {code}")
        if not unit.is_active:
            raise CellError(f"单位 {code} 已停用", f"unit {code} is inactive")
        if unit.division_id != self.district.pk:
            raise CellError(
                f"单位 {code} 不是{self.district.name}的区级部门",
                f"{code} is not a department of the district",
            )
        return unit

    def street_list(self, value: Any) -> list[Division]:
        streets, bad = resolve_streets(self.streets, split_list(value, CODE_SPLIT))
        if bad:
            joined = "、".join(bad)
            raise CellError(
                f"不是{self.district.name}的街乡：{joined}", f"not streets of the district: {joined}"
            )
        if not streets:
            raise CellError("至少一个街乡", "at least one street")
        return streets

    def matter_list(self, value: Any) -> list[str]:
        codes = split_list(value, CODE_SPLIT)
        unknown = [c for c in codes if self.matters is not None and c not in self.matters]
        if unknown:
            joined = "、".join(unknown)
            raise CellError(
                f"生效的权责清单中没有事项 {joined}", f"not matters of the duty list in force: {joined}"
            )
        return codes


def _department_codes(sheet: _Sheet) -> set[str]:
    out = set()
    for _number, cells in sheet.rows:
        try:
            out.add(text(sheet.cell(cells, "department")))
        except CellError:
            pass
    return out


def validate(table, district: Division) -> tuple[list[PowerRow], list[Issue]]:
    sheet = _resolve(table, COLUMNS)
    refs = _Refs(district, _department_codes(sheet))
    rows: list[PowerRow] = []
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        before = len(sheet.issues)
        code = _required(sheet, number, cells, "code", _sized("code"))
        if code is not _BAD:
            if code in seen:
                sheet.issue(
                    number,
                    "code",
                    f"权力编码 {code} 重复（与第{seen[code]}行）",
                    f"duplicate code {code} (also on row {seen[code]})",
                )
            seen.setdefault(code, number)
        name = _required(sheet, number, cells, "name", _sized("name"))
        category = _required(sheet, number, cells, "category", _category)
        basis = _required(sheet, number, cells, "legal_basis", text)
        department = _required(sheet, number, cells, "department", refs.department)
        streets = _required(sheet, number, cells, "streets", refs.street_list)
        effective = _required(sheet, number, cells, "effective_date", _date)
        matters = _cell(sheet, number, cells, "matters", refs.matter_list, default=[])
        withdrawn = _cell(sheet, number, cells, "withdrawn", boolean, default=False)
        reason = _cell(sheet, number, cells, "withdrawal_reason", text, default="")
        if len(sheet.issues) == before:
            fields = PowerFields(code, name, category, basis, department, streets, effective, matters)
            rows.append(PowerRow(number, fields, withdrawn, reason))
    if not sheet.rows and not sheet.issues:
        sheet.issues.append(Issue(sheet.name, None, "", "", "文件中没有赋权事项", "the file has no powers"))
    return rows, sheet.issues


def parse_powers_file(
    source: bytes | IO[bytes], *, district: Division, name: str = "powers.xlsx"
) -> ParsedPowers:
    """Read and check a file against the database (departments, streets, matters of `district`); no writes."""
    parsed = ParsedPowers(source_name=name)
    try:
        fmt = file_format(name)
    except ValueError as exc:
        parsed.errors = [Issue("", None, "", "", "只支持 .xlsx 和 .csv 文件", str(exc))]
        return parsed
    tables, errors = read_tables(source, fmt=fmt)
    if errors:
        parsed.errors = errors
        return parsed
    table = tables.get("matters")  # duties.io names the first (or only) sheet so
    if table is None:
        parsed.errors = [Issue(SHEET, None, "", "", "文件是空的", "the file is empty")]
        return parsed
    parsed.rows, parsed.errors = validate(table, district)
    return parsed


# --- writing --------------------------------------------------------------------------------------


def export_rows(qs) -> list[list[Any]]:
    qs = qs.select_related("department").order_by("code")
    streets: dict[int, list[str]] = {}
    for power_id, code in DelegatedPower.streets.through.objects.filter(delegatedpower__in=qs).values_list(
        "delegatedpower_id", "division__code"
    ):
        streets.setdefault(power_id, []).append(code[:9])
    matters: dict[int, list[str]] = {}
    from shaobao.powers.models import PowerMatter

    for power_id, code in PowerMatter.objects.filter(power__in=qs).values_list("power_id", "matter_code"):
        matters.setdefault(power_id, []).append(code)
    rows = []
    for p in qs:
        rows.append(
            [
                p.code,
                p.name,
                CATEGORY_OUT.get(p.category, p.category),
                p.legal_basis,
                p.department.code,
                "、".join(sorted(streets.get(p.pk, []))),
                p.effective_date,
                "、".join(sorted(matters.get(p.pk, []))),
                "是" if p.status == PowerStatus.WITHDRAWN else "否",
                p.withdrawal_reason,
            ]  # fmt: skip
        )
    return rows


def export_powers(qs, out: IO[bytes]) -> None:
    """The powers in the import layout (one sheet), formula-safe (`core.xlsx`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_row(ws, [c.header for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in export_rows(qs):
        append_row(ws, [None if v == "" else v for v in row])
        ws.cell(row=ws.max_row, column=7).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if column.key in ("name", "legal_basis") else 16
    wb.save(out)
