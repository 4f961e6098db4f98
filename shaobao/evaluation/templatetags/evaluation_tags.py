"""Formatting of indicator figures in the evaluation pages: each figure links to its drill-down."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def figure(ind: dict, code: str, kind: str, dim: str, key, month: str):
    """A rate as a percentage (numerator/denominator in the tooltip), a count or hours; links to the rows."""
    value = (ind or {}).get(code)
    url = (
        reverse("evaluation:drill")
        + "?"
        + urlencode({"dim": dim, "key": key, "indicator": code, "month": month})
    )
    if kind == "rate":
        if not value or value.get("value") is None:
            return mark_safe('<span class="muted" title="0/0">—</span>')
        num, den = value["numerator"], value["denominator"]
        return format_html(
            '<a href="{}" title="{} / {}">{}%</a>', url, f"{num:g}", f"{den:g}", f"{value['value'] * 100:.1f}"
        )
    if kind == "count":
        if not value:
            return "—"
        return format_html(
            '<a href="{}" title="{} / {}" class="{}">{}</a>',
            url + "&only=not",
            f"{value['numerator']:g}",
            f"{value['denominator']:g}",
            "overdue" if value["numerator"] else "",
            f"{value['numerator']:g}",
        )
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    return format_html('<a href="{}">{}</a>', url, f"{value:.1f}")


@register.filter
def score(value) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def change(value) -> str:
    if value is None:
        return "—"
    if value > 0:
        return f"↑{value}"
    if value < 0:
        return f"↓{-value}"
    return "–"
