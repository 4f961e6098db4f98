"""Formatting of indicator figures in the evaluation pages: each figure links to its drill-down.

`figure_cells` renders a whole row's cells at once in Python, as one string (the unit table has thousands
of figures; a template tag, or even a template variable, per figure made the page slow).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
DASH = '<span class="muted">—</span>'


@lru_cache(maxsize=4)
def _drill_url() -> str:
    return reverse("evaluation:drill")


def _figure_html(value, code: str, kind: str, query: str) -> str:
    """The HTML of one figure. `query` comes from urlencode (only URL-safe characters and '&'), and the
    codes are fixed identifiers, so escaping the '&' is all the escaping the link needs."""
    url = f"{_drill_url()}?{query}&indicator={code}".replace("&", "&amp;")
    if kind == "rate":
        if not value or value.get("value") is None:
            return DASH
        num, den = value["numerator"], value["denominator"]
        return f'<a href="{url}" title="{num:g} / {den:g}">{value["value"] * 100:.1f}%</a>'
    if kind == "count":
        if not value:
            return DASH
        num = value["numerator"]
        css = "overdue" if num else ""
        return f'<a href="{url}&amp;only=not" title="{num:g} / {value["denominator"]:g}" class="{css}">{num:g}</a>'
    if value is None:
        return DASH
    return f'<a href="{url}">{value:.1f}</a>'


def render_figure(value, code: str, kind: str, query: str) -> SafeString:
    return mark_safe(_figure_html(value, code, kind, query))


def _period_query(period) -> dict:
    """A Period's URL parameters (`month`, or `from` and `to`); a plain string is a month label."""
    return period.query if hasattr(period, "query") else {"month": period}


def figure_cells(ind: dict, columns: list[dict], dim: str, key, period) -> SafeString:
    """The row's `<td>` cells, one per column, as one safe string; the links carry the period."""
    query = urlencode({"dim": dim, "key": key, **_period_query(period)})
    ind = ind or {}
    return mark_safe(
        "".join(
            f'<td class="num">{_figure_html(ind.get(c["code"]), c["code"], c["kind"], query)}</td>'
            for c in columns
        )
    )


@register.simple_tag
def figure(ind: dict, code: str, kind: str, dim: str, key, period) -> SafeString:
    """One figure (for the district row; tables use `figure_cells`)."""
    query = urlencode({"dim": dim, "key": key, **_period_query(period)})
    return render_figure((ind or {}).get(code), code, kind, query)


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


@register.filter
def pct(value) -> str:
    """A rate 0–1 as a percentage with one decimal; — when there is no figure."""
    return "—" if value is None else f"{value * 100:.1f}%"
