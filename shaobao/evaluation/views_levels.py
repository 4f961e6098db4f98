"""Evaluation pages above the district: a centre's departments on calls up, and the city's rankings (districts
and city departments), each with its xlsx/pdf export (`evaluation.levels`)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.core.replica import reads_from_replica
from shaobao.evaluation import exports, levels, selectors
from shaobao.evaluation.indicators import INDICATORS
from shaobao.evaluation.views import _bad_period, _picker


def level_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except selectors.BadPeriod as exc:
            return _bad_period(request, exc)

    return wrapper


def _export(report: dict, fmt: str, stem: str, period) -> HttpResponse:
    if fmt == "xlsx":
        body = exports.to_xlsx(report)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body, ctype = exports.to_pdf(report), "application/pdf"
    else:
        raise NotFound("格式不支持 / Unknown format")
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{period.slug}.{fmt}"'
    return response


@require_GET
@reads_from_replica
@level_view
def call_ranking(request):
    period = selectors.period_of(request.GET)
    fmt = request.GET.get("format")
    if fmt:
        return _export(levels.department_report(request.user, period), fmt, "call-departments", period)
    result = levels.department_ranking(request.user, period)
    return render(
        request,
        "evaluation/call_ranking.html",
        {
            "result": result,
            "period": period,
            "picker": _picker(request, period),
            "weight": round(result["bottom_up_weight"] * 100),
        },
    )


@require_GET
@reads_from_replica
@level_view
def city(request):
    period = selectors.period_of(request.GET)
    fmt = request.GET.get("format")
    if fmt:
        return _export(levels.city_report(request.user, period), fmt, "city", period)
    result = levels.city_ranking(request.user, period)
    return render(
        request,
        "evaluation/city.html",
        {
            "result": result,
            "period": period,
            "picker": _picker(request, period),
            "weight": round(result["bottom_up_weight"] * 100),
        },
    )


@require_GET
@reads_from_replica
@level_view
def district_below(request, code: str):
    period = selectors.period_of(request.GET)
    fmt = request.GET.get("format")
    if fmt:
        return _export(
            levels.district_below_report(request.user, code, period), fmt, f"district-{code}", period
        )
    result = levels.district_below(request.user, code, period)
    return render(
        request,
        "evaluation/district_below.html",
        {
            "result": result,
            "period": period,
            "picker": _picker(request, period),
            "on_time_label": INDICATORS["on_time_rate"][0],
        },
    )
