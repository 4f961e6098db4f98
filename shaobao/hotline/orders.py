"""A 12345 work order as the platforms exchange it, read and checked (nothing here writes).

Fields (JSON key, or a spreadsheet header in Chinese or English):
    order_no  工单编号   required, at most 64 characters (letters, digits, - _ . /)
    time      来电时间   when the citizen called (ISO 8601, or a spreadsheet date); optional
    caller    来电人     at most 60 characters
    phone     联系电话   digits, + - ( ) and spaces
    address   地址       at most 300 characters
    content   诉求内容   required, at most 5,000 characters
    category  诉求分类   the platform's category (mapped to a matter by the admin's table)
    deadline  办理时限   the platform's deadline (after `time`); optional
    urgent    是否紧急   true/false, 是/否, 1/0, Y/N; empty: not urgent
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

PHONE_RE = re.compile(r"^[0-9+\-() ]{3,30}$")
ORDER_NO_RE = re.compile(r"^[A-Za-z0-9_\-./]{1,64}$")

# key → accepted headers / keys (first: the JSON key; then the Chinese header; then variants)
ALIASES: dict[str, tuple[str, ...]] = {
    "order_no": ("order_no", "工单编号", "工单号", "order number"),
    "time": ("time", "来电时间", "受理时间", "call time"),
    "caller": ("caller", "来电人", "姓名", "caller name"),
    "phone": ("phone", "联系电话", "电话", "phone number"),
    "address": ("address", "地址", "事发地址"),
    "content": ("content", "诉求内容", "内容", "description"),
    "category": ("category", "诉求分类", "分类"),
    "deadline": ("deadline", "办理时限", "办结时限", "due"),
    "urgent": ("urgent", "是否紧急", "紧急", "urgent flag"),
}
FIELDS = tuple(ALIASES)
HEADERS_ZH = {key: names[1] for key, names in ALIASES.items()}
_BY_ALIAS = {alias.strip().lower(): key for key, names in ALIASES.items() for alias in names}
TRUE = {"1", "true", "yes", "y", "是", "紧急", "t"}
FALSE = {"", "0", "false", "no", "n", "否", "一般", "f"}


def field_of(header) -> str | None:
    """The field a spreadsheet header or JSON key names (None: a column we do not read)."""
    return _BY_ALIAS.get(str(header or "").strip().lower())


@dataclass
class Order:
    order_no: str
    content: str
    time: dt.datetime | None = None
    caller: str = ""
    phone: str = ""
    address: str = ""
    category: str = ""
    deadline: dt.datetime | None = None
    urgent: bool = False

    @property
    def subject(self) -> str:
        first = self.content.strip().splitlines()[0] if self.content.strip() else ""
        head = f"{self.category}：" if self.category else ""
        text = head + first
        return text if len(text) <= 60 else text[:59] + "…"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet number (an order number typed as digits)
    return str(value).strip()


def _when(value) -> tuple[dt.datetime | None, bool]:
    """(aware datetime or None, ok)."""
    if value in (None, ""):
        return None, True
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(23, 59))
    else:
        text = str(value).strip()
        parsed = parse_datetime(text.replace("/", "-"))
        if parsed is None:
            day = parse_date(text.replace("/", "-"))
            parsed = dt.datetime.combine(day, dt.time(23, 59)) if day else None
        if parsed is None:
            return None, False
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed, True


def parse(raw: dict) -> tuple[Order | None, dict[str, str]]:
    """One order from a JSON object or a spreadsheet row keyed by field; (order, {field: error})."""
    if not isinstance(raw, dict):
        return None, {"order": "须为对象 / Must be an object"}
    values = {}
    for key, value in raw.items():
        name = field_of(key)
        if name is not None:
            values[name] = value
    errors: dict[str, str] = {}
    order_no = _text(values.get("order_no"))
    if not order_no:
        errors["order_no"] = "请填写工单编号 / Order number is required"
    elif not ORDER_NO_RE.match(order_no):
        errors["order_no"] = "工单编号为1-64位字母、数字或 -_./ / Order number: 1-64 letters, digits or -_./"
    content = _text(values.get("content"))
    if not content:
        errors["content"] = "请填写诉求内容 / Content is required"
    elif len(content) > 5000:
        errors["content"] = "诉求内容不超过5000字 / Content: at most 5000 characters"
    caller = _text(values.get("caller"))
    if len(caller) > 60:
        errors["caller"] = "来电人不超过60字 / Caller: at most 60 characters"
    phone = _text(values.get("phone"))
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "电话号码格式不正确 / Invalid phone number"
    address = _text(values.get("address"))
    if len(address) > 300:
        errors["address"] = "地址不超过300字 / Address: at most 300 characters"
    category = _text(values.get("category"))
    if len(category) > 100:
        errors["category"] = "分类不超过100字 / Category: at most 100 characters"
    called_at, ok = _when(values.get("time"))
    if not ok:
        errors["time"] = "时间格式不正确（如 2024-05-01 09:30）/ Invalid time (e.g. 2024-05-01 09:30)"
    deadline, ok = _when(values.get("deadline"))
    if not ok:
        errors["deadline"] = "时限格式不正确（如 2024-05-08 18:00）/ Invalid deadline (e.g. 2024-05-08 18:00)"
    elif deadline and called_at and deadline < called_at:
        errors["deadline"] = "时限早于来电时间 / The deadline is before the call"
    urgent_raw = values.get("urgent")
    if isinstance(urgent_raw, bool):
        urgent = urgent_raw
    else:
        flag = _text(urgent_raw).lower()
        urgent = flag in TRUE
        if flag not in TRUE | FALSE:
            errors["urgent"] = "是否紧急须为 是/否 / Urgent: yes or no"
    if errors:
        return None, errors
    return (
        Order(order_no, content, called_at, caller, phone, address, category, deadline, urgent),
        {},
    )
