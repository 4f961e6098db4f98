"""Open311's error shape: a JSON array `[{"code": <HTTP status>, "description": "..."}]`."""

from __future__ import annotations

from django.http import JsonResponse

from shaobao.core.errors import DomainError


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(status: int, *descriptions: str) -> JsonResponse:
    body = [{"code": status, "description": d} for d in descriptions]
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def from_domain_error(exc: DomainError) -> JsonResponse:
    """One entry per bad field (named as Open311 names it), else the message."""
    if exc.fields:
        return error_response(exc.status, *(f"{name}: {text}" for name, text in exc.fields.items()))
    return error_response(exc.status, exc.message)
