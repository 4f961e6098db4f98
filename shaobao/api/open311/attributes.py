"""The values a client sends for a service's attributes (`attribute[code]=value`,
`attribute[code][]=v1&attribute[code][]=v2` for a multivaluelist), checked against the service definition.

Rules: a required attribute (that asks for input) must have a value; a number must be a number; a datetime
an ISO 8601 date-time; a string one line of at most 500 characters, a text at most 4,000; a list's values
must be among its keys (one for a singlevaluelist). Attributes the service does not define are ignored
(FixMyStreet sends its own, e.g. `attribute[fixmystreet_id]`), as are values for attributes that only
inform. Every problem is reported at once, each named `attribute[code]`.
"""

from __future__ import annotations

import re

from django.utils.dateparse import parse_datetime

from shaobao.api.models_open311 import AttributeDatatype, ServiceAttribute
from shaobao.core.errors import ValidationFailed

FORM_KEY_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
MAX_STRING = 500
MAX_TEXT = 4000


def from_form(pairs) -> dict[str, list[str]]:
    """`attribute[...]` keys of a form or query (pairs of name and list of values) → code → values."""
    found: dict[str, list[str]] = {}
    for name, values in pairs:
        match = FORM_KEY_RE.match(name)
        if match:
            found.setdefault(match.group(1), []).extend(str(v) for v in values)
    return found


def from_json(body: dict) -> dict[str, list[str]]:
    """A JSON body's `attribute` object (`{"size": "large", "kinds": ["a", "b"]}`) and flat keys."""
    found = from_form(
        (k, v if isinstance(v, list) else [v]) for k, v in body.items() if k.startswith("attribute[")
    )
    nested = body.get("attribute") or body.get("attributes") or {}
    if isinstance(nested, dict):
        for code, value in nested.items():
            values = value if isinstance(value, list) else [value]
            found.setdefault(str(code), []).extend("" if v is None else str(v) for v in values)
    return found


def clean(definition: list[ServiceAttribute], given: dict[str, list[str]]) -> dict[str, object]:
    """The validated values (code → value, or list of values for a multivaluelist), or
    ValidationFailed naming each bad attribute."""
    errors: dict[str, str] = {}
    cleaned: dict[str, object] = {}
    for attribute in definition:
        if not attribute.variable:
            continue
        name = f"attribute[{attribute.code}]"
        values = [v.strip() for v in given.get(attribute.code, []) if v is not None and v.strip()]
        if not values:
            if attribute.required:
                errors[name] = f"required: {attribute.description}"
            continue
        problem, value = _check(attribute, values)
        if problem:
            errors[name] = problem
        else:
            cleaned[attribute.code] = value
    if errors:
        raise ValidationFailed("attributes are not valid", fields=errors)
    return cleaned


def _check(attribute: ServiceAttribute, values: list[str]) -> tuple[str, object]:
    kind = attribute.datatype
    if kind == AttributeDatatype.MULTIVALUELIST:
        keys = {v.key for v in attribute.values.all()}
        bad = [v for v in values if v not in keys]
        if bad:
            return f"not among the values ({', '.join(sorted(keys))}): {', '.join(bad)}", None
        return "", list(dict.fromkeys(values))
    if len(values) > 1:
        return "one value only", None
    value = values[0]
    if kind == AttributeDatatype.SINGLEVALUELIST:
        keys = {v.key for v in attribute.values.all()}
        if value not in keys:
            return f"not among the values ({', '.join(sorted(keys))}): {value}", None
        return "", value
    if kind == AttributeDatatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            return f"must be a number: {value}", None
        if number != number or number in (float("inf"), float("-inf")):
            return f"must be a number: {value}", None
        return "", int(number) if number.is_integer() and "." not in value else number
    if kind == AttributeDatatype.DATETIME:
        parsed = parse_datetime(value.replace(" ", "T", 1) if "T" not in value else value)
        if parsed is None:
            return f"must be an ISO 8601 date-time, e.g. 2024-05-01T08:00:00+08:00: {value}", None
        return "", parsed.isoformat()
    if kind == AttributeDatatype.STRING:
        if "\n" in value or "\r" in value:
            return "one line only", None
        if len(value) > MAX_STRING:
            return f"at most {MAX_STRING} characters", None
        return "", value
    if len(value) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters", None
    return "", value


def describe(definition: list[ServiceAttribute], cleaned: dict[str, object]) -> str:
    """The values as the dispatcher reads them in the demand's body: one line each, the attribute's
    description and the chosen values' names."""
    lines = []
    for attribute in definition:
        if attribute.code not in cleaned:
            continue
        value = cleaned[attribute.code]
        names = (
            {v.key: v.name for v in attribute.values.all()}
            if attribute.datatype
            in (
                AttributeDatatype.SINGLEVALUELIST,
                AttributeDatatype.MULTIVALUELIST,
            )
            else {}
        )
        shown = [names.get(str(v), str(v)) for v in (value if isinstance(value, list) else [value])]
        lines.append(f"{attribute.description}: {', '.join(shown)}")
    return "\n".join(lines)
