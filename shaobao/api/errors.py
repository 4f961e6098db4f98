"""Every error the API answers, in one shape: `{"error": {"code", "message", "fields"}}`.

Domain errors (shaobao.core.errors) keep their status and code; ninja's input validation becomes 400
with one message per input name; anything unexpected is logged and answered with a generic 500 so
that no internals leak.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from pydantic import BaseModel

from shaobao.core.errors import DomainError, ValidationFailed

logger = logging.getLogger("shaobao.api")

# Where ninja says an input came from; the field name is what follows.
SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}

# pydantic error types → a short bilingual message; anything else falls back to pydantic's text.
FIELD_MESSAGES = {
    "missing": "必填 / This field is required",
    "string_too_long": "太长 / Too long",
    "string_too_short": "太短 / Too short",
    "too_short": "至少需要一项 / At least one item is required",
    "too_long": "项目过多 / Too many items",
    "int_parsing": "应为整数 / Must be an integer",
    "int_type": "应为整数 / Must be an integer",
    "float_parsing": "应为数字 / Must be a number",
    "float_type": "应为数字 / Must be a number",
    "bool_parsing": "应为 true 或 false / Must be true or false",
    "bool_type": "应为 true 或 false / Must be true or false",
    "string_type": "应为文本 / Must be a string",
    "list_type": "应为列表 / Must be a list",
    "enum": "取值无效 / Not a valid choice",
    "literal_error": "取值无效 / Not a valid choice",
    "greater_than_equal": "太小 / Too small",
    "greater_than": "太小 / Too small",
    "less_than_equal": "太大 / Too large",
    "less_than": "太大 / Too large",
    "json_invalid": "不是有效的 JSON / Not valid JSON",
    "model_attributes_type": "格式无效 / Invalid format",
}


# The actions' keyword names → the names of the API's inputs, so `fields` names what the client sent.
ACTION_FIELD_NAMES = {
    "street_code": "street",
    "community_code": "community",
    "grid_code": "grid",
    "unit_code": "unit",
    "into_id": "into",
    "demand_ids": "demands",
    "matter_code": "matter",
    "lead_unit_code": "lead_unit",
    "supporting_unit_codes": "supporting_units",
    "idempotency_key": "Idempotency-Key",
}


# View parameters whose input name differs (aliases); the rest are named as in the view.
PARAM_NAMES = {**ACTION_FIELD_NAMES, "date_from": "from", "date_to": "to"}
NUL_MESSAGE = "不能包含 NUL 字符 / Must not contain NUL characters"


def _nul_fields(name: str, value: Any) -> list[str]:
    """The input names under `value` holding a string with U+0000 (`note`, `supporting_units.1`)."""
    if isinstance(value, str):
        return [name] if "\x00" in value else []
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
        return [f for key, item in value.items() for f in _nul_fields(str(key), item)]
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _nul_fields(f"{name}.{key}", item)]
    if isinstance(value, list | tuple):
        return [f for i, item in enumerate(value) for f in _nul_fields(f"{name}.{i}", item)]
    return []


def reject_nul_characters(view: Callable) -> Callable:
    """Operation decorator: a NUL character in any path, query, header, form or JSON string input is a
    400 naming the input. PostgreSQL cannot store or compare such text (psycopg raises DataError, which
    was a 500); SQLite could, so both databases now answer alike."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        bad = [f for name, value in kwargs.items() for f in _nul_fields(PARAM_NAMES.get(name, name), value)]
        if bad:
            raise ValidationFailed("请求参数有误 / Invalid input", fields=dict.fromkeys(bad, NUL_MESSAGE))
        return view(request, *args, **kwargs)

    return wrapper


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def field_name(loc: list | tuple) -> str:
    """`("body", "payload", "subject")` → `subject`; `("query", "page_size")` → `page_size`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    if len(parts) > 1:
        # The first remaining element is the view's parameter name (a schema); the rest is the input.
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        name = field_name(err.get("loc", ()))
        err_type = err.get("type", "")
        message = FIELD_MESSAGES.get(err_type)
        if err_type in {"enum", "literal_error"} and err.get("ctx", {}).get("expected"):
            message = f"取值无效，应为 {err['ctx']['expected']} / Not a valid choice, expected {err['ctx']['expected']}"
        if message is None:
            message = f"格式无效 / {err.get('msg', 'Invalid value')}"
        fields.setdefault(name, message)
    return fields


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api` (they replace ninja's defaults)."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        fields = {ACTION_FIELD_NAMES.get(k, k): str(v) for k, v in (exc.fields or {}).items()}
        return respond(request, exc.status, error_body(exc.code, exc.message, fields))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(
            request,
            400,
            error_body("invalid", "请求参数有误 / Invalid input", validation_fields(list(exc.errors))),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            error_body(
                "not_authenticated",
                "需要有效的令牌：Authorization: Bearer <token> / A valid token is required",
            ),
        )
        response["WWW-Authenticate"] = 'Bearer realm="shaobao"'
        return response

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", "无权操作 / Forbidden"))

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(request, 429, error_body("throttled", "请求过于频繁 / Too many requests"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        message = str(exc)
        if exc.status_code == 400:
            code, message = (
                "invalid",
                "请求体无法解析（须为 JSON） / Cannot parse the request body (JSON expected)",
            )
        elif "CSRF" in message:
            code, message = "csrf_failed", "CSRF 校验失败 / CSRF check failed"
        return respond(request, exc.status_code, error_body(code, message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "未找到 / Not found"))

    @api.exception_handler(MultiPartParserError)
    def unreadable_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # e.g. `Content-Type: multipart/form-data` without a boundary: the client's fault, not ours.
        return respond(
            request,
            400,
            error_body(
                "invalid", "请求体无法解析（multipart 格式有误） / Cannot parse the multipart request body"
            ),
        )

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # What Django answers with 400 outside the API: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
        # fields or files. Ninja's catch-all below would otherwise make these a 500.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
        if isinstance(exc, RequestDataTooBig):
            message = "请求体过大 / Request body too large"
        elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            message = "请求字段或文件过多 / Too many fields or files"
        else:
            message = "请求无效 / Bad request"
        return respond(request, 400, error_body("invalid", message))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, error_body("server_error", "服务器内部错误 / Internal server error"))
