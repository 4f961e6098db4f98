"""Open311 GeoReport v2 views: parse → select or act → render. JSON only; errors in Open311's array."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from shaobao.api.auth import BearerToken
from shaobao.api.open311 import actions, selectors
from shaobao.api.open311.errors import Open311Error, error_response, from_domain_error
from shaobao.core.errors import DomainError


def _json(body, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def open311(*methods: str):
    """The format must be json; wrong methods, bad input and domain errors answer Open311 errors."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str = "json", **kwargs):
            if request.method not in methods:
                response = error_response(405, f"method {request.method} not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            if fmt != "json":
                return error_response(400, f"format .{fmt} is not supported: only .json")
            try:
                params = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
                for name, values in params:
                    if any("\x00" in v for v in values):
                        return error_response(400, f"{name}: NUL characters are not allowed")
                if any("\x00" in str(v) for v in kwargs.values()):
                    return error_response(400, "NUL characters are not allowed in the path")
                return view(request, *args, **kwargs)
            except Open311Error as exc:
                return error_response(exc.status, exc.description)
            except DomainError as exc:
                exc.fields = {actions.FIELD_NAMES.get(k, k): v for k, v in exc.fields.items()}
                return from_domain_error(exc)
            except SuspiciousOperation:
                return error_response(400, "malformed or oversized request body")

        return wrapper

    return decorate


@open311("GET")
def service_list(request: HttpRequest):
    district = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    return _json(selectors.services(district))


@open311("GET")
def service_definition(request: HttpRequest, service_code: str):
    district = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    matter = selectors.service_matter(district, service_code)
    return _json({"service_code": matter.code, "attributes": []})


@open311("GET", "POST")
def requests(request: HttpRequest):
    return create_request(request) if request.method == "POST" else request_list(request)


def create_request(request: HttpRequest):
    form = request.POST
    user = BearerToken().authenticate(request, form.get("api_key", ""))
    if user is None:
        raise Open311Error(403, "api_key missing or invalid")
    demand = actions.do_receive_request(
        actor=user,
        district=selectors.jurisdiction(form.get("jurisdiction_id")),
        service_code=form.get("service_code", "").strip(),
        lat=form.get("lat"),
        long=form.get("long"),
        address_string=form.get("address_string", ""),
        description=form.get("description", ""),
        first_name=form.get("first_name", ""),
        last_name=form.get("last_name", ""),
        phone=form.get("phone", ""),
        media_url=form.get("media_url", ""),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    try:
        track_url = reverse("intake:track", args=[demand.tracking_code])
    except NoReverseMatch:
        track_url = f"/api/v1/track/{demand.tracking_code}"
    notice = f"已受理，查询码 {demand.tracking_code}，进度见 {track_url} / Received; track it at {track_url}"
    body = [{"service_request_id": demand.tracking_code, "service_notice": notice, "account_id": None}]
    return _json(body, status=200 if getattr(demand, "replayed", False) else 201)


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


def request_list(request: HttpRequest):
    q = request.GET
    statuses = _list(q.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    jurisdiction_id = q.get("jurisdiction_id")
    demands = selectors.find_requests(
        ids=_list(q.get("service_request_id")),
        district=selectors.jurisdiction(jurisdiction_id) if jurisdiction_id else None,
        service_code=q.get("service_code", "").strip() or None,
        start=_when("start_date", q.get("start_date")),
        end=_when("end_date", q.get("end_date")),
        statuses=statuses,
    )
    return _json(selectors.public_requests(demands))


@open311("GET")
def request_detail(request: HttpRequest, service_request_id: str):
    demand = selectors.request_by_code(service_request_id)
    return _json(selectors.public_requests([demand]))


@csrf_exempt
def not_found(request: HttpRequest, rest: str = ""):
    return error_response(404, "not found: see /open311/v2/services.json and docs/open311.md")
