"""Evaluation pages: indicator tables and rankings for a month (picker) or any date range (`from`/`to`),
charts, drill-down, the bottom-up rating and survey forms, publishing a month and the .xlsx/.pdf exports.
Views parse → access → do → render; a refused period is a 400 page saying why (`selectors.BadPeriod`).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from shaobao.core.replicas import reads_from_replica
from shaobao.evaluation import actions, exports, extras, selectors
from shaobao.evaluation.indicators import INDICATORS, Period
from shaobao.evaluation.models import MonthlySurvey, UnitRating, WeightSet
from shaobao.evaluation.templatetags.evaluation_tags import figure_cells
from shaobao.org.access import require_staff
from shaobao.org.models import Division, Unit
from shaobao.org.scoping import scope_of

# Rows listed on a drill-down page (the counts above the list cover all of them); each row costs a few
# hundred microseconds to render, so 200 keep the page well under half a second.
DRILL_ROWS = 200

COLUMNS = [
    "response_rate",
    "on_time_rate",
    "resolution_rate",
    "satisfaction_rate",
    "rework_rate",
    "dispute_rate",
    "upheld_dispute_rate",
    "extension_rate",
    "overdue_count",
    "avg_report_hours",
    "p90_report_hours",
    "avg_finish_hours",
    "p90_finish_hours",
]


def web_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            require_staff(request.user)  # residents and role-less users: 403, never an empty page
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except selectors.BadPeriod as exc:
            return _bad_period(request, exc)
        except ValidationFailed as exc:
            return HttpResponseBadRequest(exc.message)

    return wrapper


# Parameters a page keeps when its period is changed (the drill-down's subject and figure).
KEEP = ("dim", "key", "indicator", "only")


def _picker(request, period: Period | None = None) -> dict:
    """Values of the period forms: the month picker and the from/to range form (the user's input kept)."""
    today = timezone.localdate()
    common = {"today": today.isoformat(), "keep": [(k, request.GET[k]) for k in KEEP if request.GET.get(k)]}
    if period is None:  # the input was refused: show it back as typed
        return {**common, **{k: request.GET.get(k, "") for k in ("month", "from", "to")}}
    return {
        **common,
        "month": f"{period.last:%Y-%m}",
        # The range form starts on the period shown, cut at today (a month still running).
        "from": min(period.first, today).isoformat(),
        "to": min(period.last, today).isoformat(),
    }


def _bad_period(request, exc) -> HttpResponse:
    """A refused period: the reason in the user's language and the forms to choose another (400)."""
    return render(
        request,
        "evaluation/bad_period.html",
        {
            "error": exc.localized(),
            "picker": _picker(request),
            # Only these pages take a date range; the survey and publishing are per month.
            "month_only": getattr(request.resolver_match, "url_name", "")
            not in ("index", "matters", "drill", "export"),
            "max_days": selectors.MAX_RANGE_DAYS,
        },
        status=400,
    )


def _columns():
    return [{"code": c, "label": INDICATORS[c][0], "kind": INDICATORS[c][2]} for c in COLUMNS]


@require_GET
@web_view
@reads_from_replica
def index(request):
    period = selectors.period_of(request.GET)
    vis = selectors.visibility(request.user)
    result = selectors.ranking_for(request.user, period)
    scope = scope_of(request.user)
    # Trend: the district for district users, else the user's street or unit.
    if vis.all:
        trend_dim, trend_key = "district", vis.district.id
    elif vis.street_ids:
        trend_dim, trend_key = "street", min(vis.street_ids)
    elif vis.unit_ids:
        trend_dim, trend_key = "unit", min(vis.unit_ids)
    else:
        trend_dim, trend_key = None, None
    trend = (
        selectors.trend(request.user, dim=trend_dim, key=trend_key, last=period, months=6)
        if trend_dim
        else []
    )
    charts = {
        "trend": {
            "months": [t["month"] for t in trend],
            "series": {
                code: [(t.get(code) or {}).get("value") for t in trend]
                for code in ("response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate")
            },
            "labels": {c: str(INDICATORS[c][0]) for c in INDICATORS},
        },
        "streets": [
            {
                "name": r["name"],
                **{
                    c: (r["indicators"].get(c) or {}).get("value")
                    for c in ("response_rate", "resolution_rate", "satisfaction_rate")
                },
                "composite": r["composite"],
            }
            for r in result["streets"]
        ],
        "units": [
            {
                "name": r["name"],
                "composite": r["composite"],
                "bottom_up": r["bottom_up"],
                "objective": r["objective"],
            }
            for r in result["units"]
            if r["composite"] is not None
        ][:30],
    }
    columns = _columns()
    for part, dim in (("streets", "street"), ("units", "unit")):
        for row in result[part]:
            row["cells"] = figure_cells(row["indicators"], columns, dim, row["id"], period)
    extra_figures, extra_values = extras.unit_extras(result["units"], period)
    for row in result["units"]:
        row["extras"] = extra_values.get(row["id"], [])
    context = {
        "extra_figures": extra_figures,
        "period": period,
        "picker": _picker(request, period),
        "result": result,
        "columns": columns,
        "district_row": selectors.district_indicators(request.user, period),
        "district": vis.district,
        "is_district": vis.all,
        "can_rate": scope.has_role(*actions.RATERS) and bool(scope.street_ids),
        "to_rate": selectors.whistles_to_rate(request.user),
        "weights": WeightSet.objects.filter(version=result["weight_version"]).first(),
        "charts": charts,
    }
    return render(request, "evaluation/index.html", context)


@require_GET
@web_view
def matters(request):
    """Indicators per matter (district users): which kinds of problem are answered slowly or badly."""
    period = selectors.period_of(request.GET)
    if not selectors.visibility(request.user).all:
        raise Forbidden("只有区级可以查看事项指标 / Matter figures are for the district")
    columns = _columns()
    rows = selectors.matter_indicators(request.user, period)
    for row in rows:
        row["cells"] = figure_cells(row["indicators"], columns, "matter", row["id"], period)
    return render(
        request,
        "evaluation/matters.html",
        {"period": period, "picker": _picker(request, period), "columns": columns, "matters": rows},
    )


@require_GET
@web_view
def drill_view(request):
    period = selectors.period_of(request.GET)
    try:
        key = int(request.GET.get("key", ""))
    except ValueError as exc:
        raise ValidationFailed("参数错误 / Bad parameters") from exc
    dim = request.GET.get("dim", "")
    indicator = request.GET.get("indicator", "")
    result = selectors.drill(request.user, period=period, dim=dim, key=key, indicator=indicator)
    only = request.GET.get("only", "")
    items = result["items"]
    if only == "num":
        items = [i for i in items if i["in_numerator"]]
    elif only == "not":
        items = [i for i in items if not i["in_numerator"]]
    rows = _drill_rows(result["source"], items[:DRILL_ROWS])
    return render(
        request,
        "evaluation/drill.html",
        {
            "period": period,
            "dim": dim,
            "key": key,
            "subject": _subject_name(dim, key),
            "indicator": indicator,
            "label": result["label"],
            "source": result["source"],
            "rows": rows,
            "total": len(result["items"]),
            "in_numerator": sum(1 for i in result["items"] if i["in_numerator"]),
            "shown": len(items),
            "only": only,
        },
    )


def _subject_name(dim: str, key: int) -> str:
    from shaobao.duties.models import Matter

    model = {"unit": Unit, "street": Division, "district": Division, "matter": Matter}[dim]
    obj = model.objects.filter(pk=key).first()
    return obj.name if obj else str(key)


def _drill_rows(source: str, items: list[dict]) -> list[dict]:
    from shaobao.intake.models import Demand
    from shaobao.whistles.models import Summons

    if source == "summons":
        by_id = {
            s.id: s
            for s in Summons.objects.filter(id__in=[i["summons_id"] for i in items]).select_related(
                "whistle__matter", "whistle__street", "unit"
            )
        }
        return [
            {"summons": by_id[i["summons_id"]], "in_numerator": i["in_numerator"]}
            for i in items
            if i["summons_id"] in by_id
        ]
    by_id = {
        d.id: d
        for d in Demand.objects.filter(id__in=[i["demand_id"] for i in items])
        .select_related("street", "matter")
        .prefetch_related("whistles")
    }
    return [
        {"demand": by_id[i["demand_id"]], "in_numerator": i["in_numerator"]}
        for i in items
        if i["demand_id"] in by_id
    ]


def _whistle_url(whistle_id: int) -> str:
    try:
        return reverse("whistles:whistle_detail", args=[whistle_id])
    except Exception:  # the whistle page may be named differently or missing
        return ""


@web_view
def rate(request, whistle_id: int):
    """下评上 after a whistle closed: one small form per summoned unit."""
    from shaobao.whistles.models import Whistle

    scope = scope_of(request.user)
    whistle = Whistle.objects.filter(pk=whistle_id).select_related("street", "matter").first()
    if whistle is None or not (scope.is_district or whistle.street_id in scope.street_ids):
        raise NotFound("吹哨不存在 / Whistle not found")
    if request.method == "POST" and not request.POST.get("confirm"):
        # 下评上 is final: the form's confirmation box must be ticked (checked here too, without JS).
        messages.error(request, _("Tick the confirmation box: a rating is final once submitted."))
        return redirect("evaluation:rate", whistle_id=whistle.id)
    if request.method == "POST":
        try:
            actions.do_rate_unit(
                actor=request.user,
                whistle_id=whistle.id,
                unit_id=int(request.POST.get("unit", 0)),
                cooperation=_int(request.POST.get("cooperation")),
                initiative=_int(request.POST.get("initiative")),
                quality=_int(request.POST.get("quality")),
                comment=request.POST.get("comment", "")[:2000],
            )
            messages.success(request, "评价已提交 / Rating saved")
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("evaluation:rate", whistle_id=whistle.id)
    units = [s.unit for s in whistle.summonses.exclude(state="withdrawn").select_related("unit")]
    ratings = {r.unit_id: r for r in UnitRating.objects.filter(whistle=whistle)}
    return render(
        request,
        "evaluation/rate.html",
        {
            "whistle": whistle,
            "rows": [{"unit": u, "rating": ratings.get(u.id)} for u in dict.fromkeys(units)],
            "scores": range(1, 6),
            "whistle_url": _whistle_url(whistle.id),
        },
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@web_view
def survey(request):
    """The street's monthly bottom-up survey of units."""
    scope = scope_of(request.user)
    if not scope.has_role(*actions.RATERS) or not scope.street_ids:
        raise Forbidden(
            "只有街乡调度员或领导可以填写 / Only a street's dispatcher or leader may fill this in"
        )
    period = selectors.parse_month(request.GET.get("month") or request.POST.get("month"))
    street = Division.objects.get(pk=min(scope.street_ids))
    if request.method == "POST":
        try:
            actions.do_submit_survey(
                actor=request.user,
                street_id=street.id,
                unit_id=_int(request.POST.get("unit")),
                month=period.label,
                cooperation=_int(request.POST.get("cooperation")),
                initiative=_int(request.POST.get("initiative")),
                quality=_int(request.POST.get("quality")),
                comment=request.POST.get("comment", "")[:2000],
            )
            messages.success(request, "问卷已保存 / Survey saved")
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('evaluation:survey')}?month={period.label}")
    from shaobao.whistles.models import Summons

    unit_ids = set(
        Summons.objects.filter(whistle__street=street)
        .exclude(state="withdrawn")
        .values_list("unit_id", flat=True)
        .distinct()
    )
    units = Unit.objects.filter(id__in=unit_ids).order_by("code")
    done = {s.unit_id: s for s in MonthlySurvey.objects.filter(street=street, month=period.first)}
    return render(
        request,
        "evaluation/survey.html",
        {
            "period": period,
            "street": street,
            "rows": [{"unit": u, "survey": done.get(u.id)} for u in units],
            "scores": range(1, 6),
        },
    )


@require_POST
@web_view
def publish(request):
    vis = selectors.visibility(request.user)
    period = selectors.parse_month(request.POST.get("month"))
    try:
        ranking = actions.do_publish_month(actor=request.user, district=vis.district, month=period.label)
        messages.success(request, f"已发布 {period.label}（权重 v{ranking.weight_set.version}）/ Published")
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('evaluation:index')}?month={period.label}")


@require_GET
@web_view
@reads_from_replica
def export(request, fmt: str):
    period: Period = selectors.period_of(request.GET)
    report = exports.build_report(request.user, period)
    if fmt == "xlsx":
        body, ctype = (
            exports.to_xlsx(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        body, ctype = exports.to_pdf(report), "application/pdf"
    else:
        raise NotFound("格式不支持 / Unknown format")
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="evaluation-{period.slug}.{fmt}"'
    return response
