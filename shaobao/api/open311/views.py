"""Open311 GeoReport v2 views: parse → select or act → render, in XML (the default) or JSON.

Parameters are read from the query string and from the body, form-encoded (the spec's) or JSON; `api_key`
may be in either (or an `Authorization: Bearer` header). Errors are Open311's error list in the request's
format (`errors.py`).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from shaobao.api.auth import BearerToken
from shaobao.api.open311 import actions, attributes, selectors
from shaobao.api.open311.errors import Open311Error, error_response, from_domain_error
from shaobao.api.open311.render import FORMATS, render
from shaobao.core.errors import DomainError

DISCOVERY_CHANGESET = "2026-01-01T00:00:00Z"


class Params:
    """The request's parameters: the body's (form or JSON) first, then the query string's."""

    def __init__(self, request: HttpRequest):
        self.json: dict = {}
        body_pairs: list[tuple[str, list[str]]] = []
        if request.method == "POST":
            content_type = (request.content_type or "").lower()
            if content_type == "application/json":
                try:
                    data = json.loads(request.body.decode("utf-8") or "{}")
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise Open311Error(400, "the JSON body could not be read") from None
                if not isinstance(data, dict):
                    raise Open311Error(400, "the JSON body must be an object")
                self.json = data
                body_pairs = [
                    (k, [("" if v is None else str(v))] if not isinstance(v, dict | list) else [])
                    for k, v in data.items()
                ]
            else:
                body_pairs = list(request.POST.lists())
        self.pairs = body_pairs + list(request.GET.lists())
        for name, values in self.pairs:
            if "\x00" in name or any("\x00" in v for v in values):
                raise Open311Error(400, f"{name}: NUL characters are not allowed")

    def get(self, name: str, default: str = "") -> str:
        for key, values in self.pairs:
            if key == name:
                for v in values:
                    if v.strip():
                        return v.strip()
        return default

    def attributes(self) -> dict[str, list[str]]:
        found = attributes.from_form(self.pairs)
        for code, values in attributes.from_json(self.json).items():
            found.setdefault(code, []).extend(values)
        return found


def open311(*methods: str):
    """The format must be xml (default) or json; wrong methods, bad input and domain errors answer
    Open311 errors in that format."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str | None = None, **kwargs):
            fmt = (fmt or "xml").lower()
            if fmt not in FORMATS:
                return error_response(400, f"format .{fmt} is not supported: .xml or .json")
            if request.method not in methods:
                response = error_response(405, f"method {request.method} not allowed", fmt=fmt)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if any("\x00" in str(v) for v in kwargs.values()):
                    raise Open311Error(400, "NUL characters are not allowed in the path")
                return view(request, Params(request), fmt, *args, **kwargs)
            except Open311Error as exc:
                return error_response(exc.status, exc.description, fmt=fmt)
            except DomainError as exc:
                exc.fields = {actions.FIELD_NAMES.get(k, k): v for k, v in exc.fields.items()}
                return from_domain_error(exc, fmt=fmt)
            except SuspiciousOperation:
                return error_response(400, "malformed or oversized request body", fmt=fmt)

        return wrapper

    return decorate


def _user(request: HttpRequest, params: Params, *, required: bool):
    """The api_key's user (query string, body or Bearer header); 403 when required and missing, or
    when given and invalid."""
    key = params.get("api_key")
    header = request.headers.get("Authorization", "")
    if not key and header.lower().startswith("bearer "):
        key = header[7:].strip()
    if not key:
        if required:
            raise Open311Error(403, "api_key missing")
        return None
    user = BearerToken().authenticate(request, key)
    if user is None:
        raise Open311Error(403, "api_key invalid")
    return user


def _page(params: Params) -> selectors.Page:
    def number(name: str, default: int, top: int | None = None) -> int:
        raw = params.get(name)
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < 1 or (top is not None and int(raw) > top):
            bound = f" and at most {top}" if top else ""
            raise Open311Error(400, f"{name} must be a whole number of at least 1{bound}")
        return int(raw)

    return selectors.Page(
        number("page", 1), number("page_size", selectors.MAX_REQUESTS, selectors.MAX_REQUESTS)
    )


def _when(name: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+"))  # an unencoded "+01:00" arrives as " 01:00"
    if parsed is None:
        day = parse_date(value)
        parsed = dt.datetime.combine(day, dt.time()) if day else None
    if parsed is None:
        raise Open311Error(400, f"{name} must be a W3C date-time, e.g. 2024-05-01T00:00:00+08:00")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


# --- discovery ------------------------------------------------------------------------------------


@open311("GET")
def discovery(request: HttpRequest, params: Params, fmt: str):
    base = request.build_absolute_uri(reverse("open311:services").rsplit("/", 1)[0])
    return render(
        fmt,
        "discovery",
        {
            "changeset": DISCOVERY_CHANGESET,
            "contact": _("Shaobao Open311 endpoint: ask the district's administrator (see docs/open311.md)."),
            "key_service": _("An administrator issues API keys: python manage.py api_token USERNAME"),
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": DISCOVERY_CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


# --- services -------------------------------------------------------------------------------------


@open311("GET")
def service_list(request: HttpRequest, params: Params, fmt: str):
    district = selectors.jurisdiction(params.get("jurisdiction_id"))
    return render(fmt, "services", selectors.services(district))


@open311("GET")
def service_definition(request: HttpRequest, params: Params, fmt: str, service_code: str):
    district = selectors.jurisdiction(params.get("jurisdiction_id"))
    return render(fmt, "service_definition", selectors.service_definition(district, service_code))


# --- requests -------------------------------------------------------------------------------------


@open311("GET", "POST")
def requests(request: HttpRequest, params: Params, fmt: str):
    if request.method == "POST":
        return create_request(request, params, fmt)
    return request_list(request, params, fmt)


def _track_url(code: str) -> str:
    """The tracking page as a whole link (a resident's app shows it outside our site): PUBLIC_BASE_URL, as
    the SMS and the 12345 gateway's answers give it."""
    try:
        path = reverse("intake:track", args=[code])
    except NoReverseMatch:
        path = f"/api/v1/track/{code}"
    return f"{getattr(settings, 'PUBLIC_BASE_URL', '').rstrip('/')}{path}"


def create_request(request: HttpRequest, params: Params, fmt: str):
    user = _user(request, params, required=True)
    fields = {
        "service_code": params.get("service_code"),
        "lat": params.get("lat") or None,
        "long": params.get("long") or None,
        "address_string": params.get("address_string"),
        "address_id": params.get("address_id"),
        "description": params.get("description"),
        "first_name": params.get("first_name"),
        "last_name": params.get("last_name"),
        "phone": params.get("phone"),
        "media_url": params.get("media_url"),
        "attributes": params.attributes(),
        "idempotency_key": request.headers.get("Idempotency-Key"),
    }
    district = selectors.jurisdiction(params.get("jurisdiction_id"))
    if "respond-async" in request.headers.get("Prefer", "").lower():
        token = actions.do_accept_request(actor=user, district=district, **fields)
        notice = _("Accepted; ask tokens/%(token)s for its id") % {"token": token.token}
        body = [{"token": token.token, "service_notice": notice, "account_id": None}]
        return render(fmt, "service_requests", body, status=202)
    demand = actions.do_receive_request(actor=user, district=district, **fields)
    url = _track_url(demand.tracking_code)
    notice = _("Received, tracking code %(code)s; follow it at %(url)s") % {
        "code": demand.tracking_code,
        "url": url,
    }
    body = [{"service_request_id": demand.tracking_code, "service_notice": notice, "account_id": None}]
    return render(fmt, "service_requests", body, status=200 if getattr(demand, "replayed", False) else 201)


def request_list(request: HttpRequest, params: Params, fmt: str):
    user = _user(request, params, required=False)
    statuses = _list(params.get("status").lower())
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    jurisdiction_id = params.get("jurisdiction_id")
    demands = selectors.find_requests(
        ids=_list(params.get("service_request_id")),
        district=selectors.jurisdiction(jurisdiction_id) if jurisdiction_id else None,
        service_codes=_list(params.get("service_code")),
        start=_when("start_date", params.get("start_date")),
        end=_when("end_date", params.get("end_date")),
        statuses=statuses,
        page=_page(params),
    )
    exact = selectors.exact_for(user, demands)
    return render(fmt, "service_requests", selectors.public_requests(demands, exact=exact))


@open311("GET")
def request_detail(request: HttpRequest, params: Params, fmt: str, service_request_id: str):
    user = _user(request, params, required=False)
    demand = selectors.request_by_code(service_request_id)
    exact = selectors.exact_for(user, [demand])
    return render(fmt, "service_requests", selectors.public_requests([demand], exact=exact))


@open311("GET")
def token(request: HttpRequest, params: Params, fmt: str, token_id: str):
    return render(fmt, "service_requests", [selectors.token_request(token_id)])


# --- request updates (FixMyStreet's extension) ------------------------------------------------------


@open311("GET", "POST")
def request_updates(request: HttpRequest, params: Params, fmt: str):
    if request.method == "POST":
        user = _user(request, params, required=True)
        update_id, created = actions.do_post_update(
            actor=user,
            service_request_id=params.get("service_request_id"),
            description=params.get("description"),
            client_update_id=params.get("update_id") or params.get("update_id_ext"),
            status=params.get("status"),
            media_url=params.get("media_url"),
            updated_datetime=params.get("updated_datetime"),
        )
        body = [{"update_id": str(update_id)}]
        return render(fmt, "service_request_updates", body, status=201 if created else 200)
    _user(request, params, required=False)
    jurisdiction_id = params.get("jurisdiction_id")
    updates = selectors.request_updates(
        start=_when("start_date", params.get("start_date")),
        end=_when("end_date", params.get("end_date")),
        district=selectors.jurisdiction(jurisdiction_id) if jurisdiction_id else None,
        page=_page(params),
    )
    return render(fmt, "service_request_updates", updates)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = ""):
    fmt = "json" if rest.endswith(".json") else "xml"
    return error_response(404, "not found: see discovery.xml, services.xml and docs/open311.md", fmt=fmt)
