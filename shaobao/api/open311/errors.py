"""Open311's error shape, in the request's format: `<errors><error><code/><description/></error></errors>`
in XML, `[{"code": <HTTP status>, "description": "..."}]` in JSON."""

from __future__ import annotations

from django.http import HttpResponse

from shaobao.api.open311.render import render
from shaobao.core.errors import DomainError


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(status: int, *descriptions: str, fmt: str = "xml") -> HttpResponse:
    body = [{"code": status, "description": d} for d in descriptions]
    return render(fmt, "errors", body, status=status)


def from_domain_error(exc: DomainError, fmt: str = "xml") -> HttpResponse:
    """One entry per bad field (named as Open311 names it), else the message."""
    if exc.fields:
        return error_response(exc.status, *(f"{name}: {text}" for name, text in exc.fields.items()), fmt=fmt)
    return error_response(exc.status, exc.message, fmt=fmt)
