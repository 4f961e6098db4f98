"""The columns of a duty file and how each cell is read and written (see docs/duties.md).

Headers are matched by name, in any order: the English key (`lead_unit`), the Chinese label (`主责单位`) or
both as exported (`lead_unit/主责单位`). Values are accepted in English or Chinese; export writes Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # Chinese
    required: bool = False  # the column must be present and its cells filled

    @property
    def header(self) -> str:
        return f"{self.key}/{self.label}"


MATTER_COLUMNS = [
    Column("code", "事项编码", required=True),
    Column("name", "事项名称", required=True),
    Column("domain_code", "领域编码", required=True),
    Column("domain_name", "领域名称"),
    Column("description", "说明"),
    Column("keywords", "关键词"),
    Column("lead_unit", "主责单位", required=True),
    Column("supporting_units", "配合单位"),
    Column("time_limit", "时限", required=True),
    Column("time_limit_unit", "时限单位", required=True),
    Column("default_urgency", "紧急程度"),
    Column("street_may_handle", "街乡可自行办理"),
]

OVERRIDE_COLUMNS = [
    Column("street", "街乡", required=True),
    Column("matter", "事项编码", required=True),
    Column("lead_unit", "主责单位"),
    Column("supporting_units", "配合单位"),
    Column("replace_supporting_units", "替换配合单位"),
    Column("time_limit", "时限"),
    Column("time_limit_unit", "时限单位"),
    Column("street_may_handle", "街乡可自行办理"),
]

OVERRIDES_SHEET_NAMES = ("overrides", "一乡一策", "街乡覆盖", "street overrides")

# Keywords and unit codes: 、 ; ； , ， or a line break between items (unit codes also spaces).
KEYWORD_SPLIT = re.compile(r"[、;；,，\n\r]+")
CODE_SPLIT = re.compile(r"[、;；,，\s]+")

UNIT_IN = {
    "hours": "hours",
    "hour": "hours",
    "小时": "hours",
    "calendar_days": "calendar_days",
    "calendar days": "calendar_days",
    "自然日": "calendar_days",
    "日历日": "calendar_days",
    "working_days": "working_days",
    "working days": "working_days",
    "工作日": "working_days",
}
UNIT_OUT = {"hours": "小时", "calendar_days": "自然日", "working_days": "工作日"}

URGENCY_IN = {
    "normal": "normal",
    "一般": "normal",
    "普通": "normal",
    "urgent": "urgent",
    "紧急": "urgent",
    "critical": "critical",
    "特急": "critical",
    "危急": "critical",
}
URGENCY_OUT = {"normal": "一般", "urgent": "紧急", "critical": "特急"}

BOOL_IN = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}


def unit_out(value: str) -> str:
    return UNIT_OUT.get(value, value)


def bool_out(value: bool) -> str:
    return "是" if value else "否"


def header_key(cell: Any, columns: list[Column]) -> str | None:
    """Which column a header cell names, or None."""
    if not isinstance(cell, str):
        return None
    text = cell.strip().lower()
    parts = {text, *(p.strip() for p in re.split(r"[/|｜]", text))}
    for column in columns:
        if parts & {column.key, column.label, column.header.lower()}:
            return column.key
    return None


class CellError(Exception):
    """A cell that cannot be read; carries both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return "date/time"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def wrong_type(value: Any, expected_zh: str, expected_en: str) -> CellError:
    return CellError(
        f"类型错误：应为{expected_zh}，实际是{_type_name(value)}（{value}）",
        f"wrong type: expected {expected_en}, got {_type_name(value)} ({value})",
    )


def text(value: Any, *, strip: bool = True) -> str:
    """A text cell. Whole numbers are fine (a code typed as 1001 in Excel); dates and booleans are not."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip() if strip else value
    if isinstance(value, bool) or isinstance(value, dt.datetime | dt.date | dt.time):
        raise wrong_type(value, "文本", "text")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    raise wrong_type(value, "文本", "text")


def positive_int(value: Any) -> int:
    """A time limit: a whole number above zero."""
    if isinstance(value, bool) or isinstance(value, dt.datetime | dt.date | dt.time):
        raise wrong_type(value, "正整数", "a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                f"时限必须是正整数，不是 {value}", f"bad time limit {value}: must be a whole number"
            )
        value = int(value)
    if isinstance(value, str):
        stripped = value.strip()
        if not re.fullmatch(r"[+-]?\d+", stripped):
            raise CellError(
                f"时限必须是正整数，不是「{stripped}」",
                f"bad time limit '{stripped}': must be a whole number",
            )
        value = int(stripped)
    if not isinstance(value, int):
        raise wrong_type(value, "正整数", "a whole number")
    if value <= 0:
        raise CellError(f"时限必须大于 0，不是 {value}", f"bad time limit {value}: must be above zero")
    if value > 100000:
        raise CellError(f"时限 {value} 过大", f"bad time limit {value}: too large")
    return value


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in BOOL_IN:
        return BOOL_IN[value.strip().lower()]
    if isinstance(value, str):
        raise CellError(f"应为 是/否，不是「{value}」", f"expected yes/no (是/否, true/false), got '{value}'")
    raise wrong_type(value, "是/否", "yes/no")


def choice(value: Any, mapping: dict[str, str], what_zh: str, what_en: str) -> str:
    raw = text(value)
    found = mapping.get(raw) or mapping.get(raw.lower())
    if found is None:
        labels = UNIT_OUT if mapping is UNIT_IN else URGENCY_OUT if mapping is URGENCY_IN else {}
        allowed = "、".join(f"{k}/{v}" for k, v in labels.items()) or "、".join(dict.fromkeys(mapping))
        raise CellError(
            f"未知的{what_zh}「{raw}」（可用：{allowed}）", f"unknown {what_en} '{raw}' (use: {allowed})"
        )
    return found


def split_list(value: Any, pattern: re.Pattern) -> list[str]:
    items = [p.strip() for p in pattern.split(text(value))]
    return list(dict.fromkeys(p for p in items if p))
