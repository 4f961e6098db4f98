"""Open311's two formats from one structure: XML (the spec's required format, the default) and JSON.

The spec's JSON is "a programmatic mapping of the XML using the Spark convention": a document whose root
holds a list of one kind of element (`<services><service>…`) is a JSON array of objects; a nested list
(`<attributes><attribute>…`, `<values><value>…`, `<formats><format>…`) is a JSON array under the
container's name. The views build plain Python values once; `render` writes them either way.

XML: UTF-8 with the declaration, no namespace, `true`/`false` for booleans, an empty element for null;
`Content-Type: text/xml; charset=utf-8`. JSON: `application/json; charset=utf-8`, nulls as null.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The element name of one item of each list, by the list's name (the Spark convention's containers).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}

# Characters XML 1.0 cannot carry at all (control characters other than tab, newline, carriage return).
_XML_FORBIDDEN = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)], None)


def _text(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return escape(str(value).translate(_XML_FORBIDDEN))


def _element(name: str, value, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _element(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES[name]
        out.append(f"<{name}>")
        for item in value:
            _element(item_name, item, out)
        out.append(f"</{name}>")
    elif value is None or value == "":
        out.append(f"<{name}/>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def to_xml(root: str, body) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _element(root, body, out)
    return "".join(out) + "\n"


def render(fmt: str, root: str, body, status: int = 200) -> HttpResponse:
    """`body` is a list (the root's items) or a dict (the root's children)."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False)
    else:
        content = to_xml(root, body)
    return HttpResponse(content.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
