"""Checking the rows of a duty file against the columns and the database, collecting every error.

Nothing here writes. References (units, domains, streets) are fetched once per file, so a file of
thousands of rows costs a handful of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from shaobao.duties.io_columns import (
    CODE_SPLIT,
    KEYWORD_SPLIT,
    MATTER_COLUMNS,
    OVERRIDE_COLUMNS,
    UNIT_IN,
    URGENCY_IN,
    CellError,
    Column,
    boolean,
    choice,
    header_key,
    positive_int,
    split_list,
    text,
)
from shaobao.duties.models import Domain
from shaobao.org.models import Division, Unit


@dataclass(frozen=True)
class Issue:
    """One error in a file, placed by sheet, row and column, in Chinese and English."""

    sheet: str
    row: int | None
    column: str  # the column letter as in a spreadsheet ("C"), "" for a whole row or the whole file
    field: str  # the column's key ("lead_unit"), "" when not about one column
    zh: str
    en: str

    def where_zh(self) -> str:
        parts = [f"工作表 {self.sheet}"] if self.sheet else []
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"{self.column}列({self.field})" if self.field else f"{self.column}列")
        elif self.field:
            parts.append(f"({self.field})")
        return " ".join(parts)

    def where_en(self) -> str:
        parts = [f"Sheet '{self.sheet}'"] if self.sheet else []
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" + (f" ({self.field})" if self.field else ""))
        elif self.field:
            parts.append(f"({self.field})")
        return " ".join(parts)

    def __str__(self) -> str:
        zh = f"{self.where_zh()}: {self.zh}" if self.where_zh() else self.zh
        en = f"{self.where_en()}: {self.en}" if self.where_en() else self.en
        return f"{zh} / {en}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": str(self),
        }


@dataclass
class MatterRow:
    row: int
    code: str
    name: str
    domain_code: str
    description: str
    keywords: list[str]
    lead_unit: Unit
    supporting_units: list[Unit]
    time_limit: int
    time_limit_unit: str
    default_urgency: str
    street_may_handle: bool


@dataclass
class OverrideRow:
    row: int
    street: Division
    matter_code: str
    lead_unit: Unit | None
    supporting_units: list[Unit]
    replace_supporting_units: bool
    time_limit: int | None
    time_limit_unit: str
    street_may_handle: bool | None


MAX_LENGTH = {"code": 40, "name": 200, "domain_code": 20, "domain_name": 100}


@dataclass
class _Sheet:
    """A table with its columns resolved: key → column index."""

    name: str
    positions: dict[str, int]
    rows: list[tuple[int, list[Any]]]
    issues: list[Issue] = field(default_factory=list)

    def cell(self, cells: list[Any], key: str) -> Any:
        i = self.positions.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    def issue(self, row: int | None, key: str, zh: str, en: str) -> None:
        i = self.positions.get(key)
        self.issues.append(
            Issue(self.name, row, get_column_letter(i + 1) if i is not None else "", key, zh, en)
        )


def _resolve(table, columns: list[Column]) -> _Sheet:
    sheet = _Sheet(table.sheet, {}, table.rows)
    for i, cell in enumerate(table.header):
        key = header_key(cell, columns)
        if key is None:
            continue  # extra columns (notes and the like) are ignored
        if key in sheet.positions:
            sheet.issues.append(
                Issue(
                    table.sheet,
                    table.header_row,
                    get_column_letter(i + 1),
                    key,
                    f"列 {key} 重复",
                    f"column {key} appears twice",
                )
            )
            continue
        sheet.positions[key] = i
    for column in columns:
        if column.required and column.key not in sheet.positions:
            sheet.issues.append(
                Issue(
                    table.sheet,
                    table.header_row,
                    "",
                    column.key,
                    f"缺少必需的列 {column.header}",
                    f"missing required column {column.header}",
                )
            )
    return sheet


class _Refs:
    """Units, domains and streets named anywhere in the file, fetched in one query each."""

    def __init__(self, district: Division, unit_codes: set[str], domain_codes: set[str]):
        self.district = district
        self.units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes).select_related("division")}
        self.domains = {d.code: d for d in Domain.objects.filter(code__in=domain_codes)}
        self.streets = {
            d.code: d for d in Division.objects.filter(level="street", code__startswith=district.prefix)
        }

    def unit(self, code: str) -> Unit:
        unit = self.units.get(code)
        if unit is None:
            raise CellError(f"单位 {code} 不存在", f"unknown unit {code}")
        if not unit.is_active:
            raise CellError(f"单位 {code} 已停用", f"unit {code} is inactive")
        home = unit.division
        if not (home.code.startswith(self.district.prefix) or self.district.code.startswith(home.prefix)):
            raise CellError(
                f"单位 {code} 不属于{self.district.name}",
                f"unit {code} is not a unit of {self.district.name}",
            )
        return unit


def _cell(sheet: _Sheet, number: int, cells: list[Any], key: str, read: Callable[[Any], Any], default=None):
    """Read one cell; on error record it and return the sentinel `_BAD`."""
    value = sheet.cell(cells, key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        return read(value)
    except CellError as e:
        sheet.issue(number, key, e.zh, e.en)
        return _BAD


_BAD = object()


def _required(sheet: _Sheet, number: int, cells: list[Any], key: str, read: Callable[[Any], Any]):
    if key not in sheet.positions:
        return _BAD  # already reported as a missing column
    value = _cell(sheet, number, cells, key, read)
    if value is None or value == "":
        sheet.issue(number, key, "必填项为空", "required cell is empty")
        return _BAD
    return value


def _sized(key: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        s = text(value)
        if key in MAX_LENGTH and len(s) > MAX_LENGTH[key]:
            raise CellError(f"超过 {MAX_LENGTH[key]} 个字符", f"longer than {MAX_LENGTH[key]} characters")
        return s

    return read


def _units_cell(sheet: _Sheet, number: int, cells: list[Any], key: str, refs: _Refs) -> list[Unit] | object:
    codes = _cell(sheet, number, cells, key, lambda v: split_list(v, CODE_SPLIT), default=[])
    if codes is _BAD:
        return _BAD
    units, bad = [], False
    for code in codes:
        try:
            units.append(refs.unit(code))
        except CellError as e:
            sheet.issue(number, key, e.zh, e.en)
            bad = True
    return _BAD if bad else units


def _unit_codes(sheet: _Sheet, keys: tuple[str, ...]) -> set[str]:
    codes: set[str] = set()
    for _, cells in sheet.rows:
        for key in keys:
            try:
                codes.update(split_list(sheet.cell(cells, key), CODE_SPLIT))
            except CellError:
                pass
    return codes


def _text_codes(sheet: _Sheet, key: str) -> set[str]:
    out = set()
    for _, cells in sheet.rows:
        try:
            out.add(text(sheet.cell(cells, key)))
        except CellError:
            pass
    return out


def validate_tables(tables: dict, *, district: Division):
    """(matter rows, override rows, domains to create {code: name}, issues). Rows are only valid if no issues."""
    table = tables.get("matters")
    if table is None:
        return [], [], {}, [Issue("matters", None, "", "", "文件是空的", "the file is empty")]
    matters = _resolve(table, MATTER_COLUMNS)
    overrides = _resolve(tables["overrides"], OVERRIDE_COLUMNS) if "overrides" in tables else None
    unit_keys = ("lead_unit", "supporting_units")
    unit_codes = _unit_codes(matters, unit_keys) | (_unit_codes(overrides, unit_keys) if overrides else set())
    refs = _Refs(district, unit_codes, _text_codes(matters, "domain_code"))
    matter_rows, new_domains = _matter_rows(matters, refs)
    override_rows = (
        _override_rows(overrides, refs, {m for m in _text_codes(matters, "code") if m}) if overrides else []
    )
    issues = matters.issues + (overrides.issues if overrides else [])
    if not matters.rows and not issues:
        issues.append(Issue(matters.name, None, "", "", "文件中没有事项", "the file has no matters"))
    return matter_rows, override_rows, new_domains, issues


def _matter_rows(sheet: _Sheet, refs: _Refs) -> tuple[list[MatterRow], dict[str, str]]:
    rows: list[MatterRow] = []
    seen_codes: dict[str, int] = {}
    domain_names: dict[str, tuple[str, int]] = {}  # code → (name, first row), for domains new to the database
    new_domains: dict[str, str] = {}
    for number, cells in sheet.rows:
        before = len(sheet.issues)
        code = _required(sheet, number, cells, "code", _sized("code"))
        if code is not _BAD:
            if code in seen_codes:
                sheet.issue(
                    number,
                    "code",
                    f"事项编码 {code} 重复（与第{seen_codes[code]}行）",
                    f"duplicate code {code} (also on row {seen_codes[code]})",
                )
            else:
                seen_codes[code] = number
        name = _required(sheet, number, cells, "name", _sized("name"))
        domain_code = _required(sheet, number, cells, "domain_code", _sized("domain_code"))
        domain_name = _cell(sheet, number, cells, "domain_name", _sized("domain_name"), default="")
        if domain_code is not _BAD and domain_name is not _BAD:
            _check_domain(sheet, number, refs, domain_code, domain_name, domain_names, new_domains)
        description = _cell(sheet, number, cells, "description", lambda v: text(v, strip=False), default="")
        keywords = _cell(sheet, number, cells, "keywords", lambda v: split_list(v, KEYWORD_SPLIT), default=[])
        lead = _required(sheet, number, cells, "lead_unit", lambda v: refs.unit(text(v)))
        supporting = _units_cell(sheet, number, cells, "supporting_units", refs)
        if lead is not _BAD and supporting is not _BAD and lead in supporting:
            sheet.issue(
                number,
                "supporting_units",
                f"主责单位 {lead.code} 不能同时是配合单位",
                f"the lead unit {lead.code} cannot also be a supporting unit",
            )
        limit = _required(sheet, number, cells, "time_limit", positive_int)
        unit = _required(
            sheet,
            number,
            cells,
            "time_limit_unit",
            lambda v: choice(v, UNIT_IN, "时限单位", "time limit unit"),
        )
        urgency = _cell(
            sheet,
            number,
            cells,
            "default_urgency",
            lambda v: choice(v, URGENCY_IN, "紧急程度", "urgency"),
            "normal",
        )
        may_handle = _cell(sheet, number, cells, "street_may_handle", boolean, default=False)
        if len(sheet.issues) == before:
            rows.append(
                MatterRow(
                    number,
                    code,
                    name,
                    domain_code,
                    description,
                    keywords,
                    lead,
                    supporting,
                    limit,
                    unit,
                    urgency,
                    may_handle,
                )  # fmt: skip
            )
    return rows, new_domains


def _check_domain(sheet, number, refs, code, name, domain_names, new_domains) -> None:
    known = refs.domains.get(code)
    if known is not None:
        if name and name != known.name:
            sheet.issue(
                number,
                "domain_name",
                f"领域 {code} 的名称是「{known.name}」，与文件中的「{name}」不符",
                f"domain {code} is named '{known.name}', not '{name}'",
            )
        return
    if not name:
        sheet.issue(
            number,
            "domain_code",
            f"领域 {code} 不存在；填写领域名称即可新建",
            f"unknown domain {code}; give its name (domain_name) to create it",
        )
        return
    first = domain_names.setdefault(code, (name, number))
    if first[0] != name:
        sheet.issue(
            number,
            "domain_name",
            f"领域 {code} 在第{first[1]}行的名称是「{first[0]}」，此处为「{name}」",
            f"domain {code} is named '{first[0]}' on row {first[1]} but '{name}' here",
        )
    else:
        new_domains[code] = name


def _street(refs: _Refs) -> Callable[[Any], Division]:
    def read(value: Any) -> Division:
        code = text(value)
        street = refs.streets.get(Division.full_code(code)) if code.isdigit() and len(code) <= 12 else None
        if street is None:
            raise CellError(
                f"街乡 {code} 不是{refs.district.name}的街道或乡镇",
                f"{code} is not a street or township of {refs.district.name}",
            )
        return street

    return read


def _override_rows(sheet: _Sheet, refs: _Refs, matter_codes: set[str]) -> list[OverrideRow]:
    rows: list[OverrideRow] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in sheet.rows:
        before = len(sheet.issues)
        street = _required(sheet, number, cells, "street", _street(refs))
        matter = _required(sheet, number, cells, "matter", _sized("code"))
        if matter is not _BAD and matter not in matter_codes:
            sheet.issue(
                number,
                "matter",
                f"事项 {matter} 不在事项表中",
                f"matter {matter} is not in the matters sheet",
            )
        elif street is not _BAD and matter is not _BAD:
            key = (street.pk, matter)
            if key in seen:
                sheet.issue(
                    number,
                    "matter",
                    f"街乡 {street.code} 的事项 {matter} 重复（与第{seen[key]}行）",
                    f"duplicate override of {matter} for {street.code} (also on row {seen[key]})",
                )
            seen.setdefault(key, number)
        lead = _cell(sheet, number, cells, "lead_unit", lambda v: refs.unit(text(v)))
        supporting = _units_cell(sheet, number, cells, "supporting_units", refs)
        replace = _cell(sheet, number, cells, "replace_supporting_units", boolean, default=False)
        limit = _cell(sheet, number, cells, "time_limit", positive_int)
        unit = _cell(
            sheet,
            number,
            cells,
            "time_limit_unit",
            lambda v: choice(v, UNIT_IN, "时限单位", "time limit unit"),
            "",
        )
        if unit and limit is None:
            sheet.issue(
                number,
                "time_limit",
                "填写了时限单位，但时限为空",
                "a time limit unit without a time limit",
            )
        may_handle = _cell(sheet, number, cells, "street_may_handle", boolean)
        if len(sheet.issues) == before:
            rows.append(
                OverrideRow(number, street, matter, lead, supporting, replace, limit, unit, may_handle)
            )
    return rows
