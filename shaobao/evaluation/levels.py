"""Evaluation above the district (docs/levels.md): each centre's departments ranked on the calls up they were
assigned (`calls.ranking`: objective 70%, the callers' ratings 30%), and the city's rankings — its districts
(the same 三率 composite as the streets, from the rollup, beside their calls up) and its city departments.

Scoped like the other evaluation reads: a county centre sees its departments; the city centre its districts
and city departments (one area at a time, org.acting). The pages, the exports and the API come through here.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.calls import ranking as call_ranking
from shaobao.calls.models import Call, CallState, city_prefixes
from shaobao.calls.selectors import centres_of
from shaobao.core.errors import Forbidden, NotFound
from shaobao.evaluation.indicators import INDICATORS, Period, current_weights, table
from shaobao.evaluation.scores import rankings, street_composite
from shaobao.org.access import require_member
from shaobao.org.models import Division


def centre_for(user) -> Division:
    require_member(user)
    centres = centres_of(user)
    if not centres:
        raise Forbidden("只有区县或市级中心可以查看 / Only a county or city centre sees this")
    return centres[0]


def city_for(user) -> Division:
    require_member(user)
    if getattr(user, "is_superuser", False) and not city_prefixes(user):
        city = Division.objects.filter(level="city", children__level="district").order_by("code").first()
    else:
        codes = [Division.full_code(p) for p in city_prefixes(user)]
        city = Division.objects.filter(code__in=codes, level="city").order_by("code").first()
    if city is None:
        raise Forbidden("只有市级中心可以查看 / Only the city centre sees this")
    return city


def department_ranking(user, period: Period) -> dict:
    centre = centre_for(user)
    return {
        "centre": {"code": centre.code, "name": centre.name, "level": centre.level},
        "period": period.label,
        "bottom_up_weight": call_ranking.bottom_up_weight(),
        "departments": call_ranking.department_ranking(centre, period),
    }


def city_ranking(user, period: Period) -> dict:
    """The city's districts ranked on the 三率 composite (response, resolution, satisfaction — the
    streets' formula, over each district's rollup), with their calls up; and the city's departments."""
    city = city_for(user)
    weights = current_weights()
    districts = list(Division.objects.filter(parent=city, level="district").order_by("code"))
    ind = table("district", period, weights=weights, keys=[d.pk for d in districts])
    start, end = call_ranking.bounds(period)
    calls = (
        Call.objects.filter(raised_at__gte=start, raised_at__lt=end)
        .order_by()
        .values("centre_id")
        .annotate(n=Count("id"), closed=Count("id", filter=Q(state=CallState.CLOSED)))
    )
    received = {r["centre_id"]: r for r in calls.filter(level="county", centre__in=districts)}
    up = dict(
        Call.objects.filter(raised_at__gte=start, raised_at__lt=end, level="city", caller__in=districts)
        .order_by()
        .values_list("caller_id")
        .annotate(n=Count("id"))
    )
    rows = []
    for d in districts:
        i = ind.get(d.pk)
        r = received.get(d.pk, {})
        depts = [
            x["composite"] for x in call_ranking.department_ranking(d, period) if x["composite"] is not None
        ]

        def value(code, i=i):
            return i[code].value if i else None

        rows.append(
            {
                "id": d.pk,
                "code": d.code,
                "name": d.name,
                "composite": None
                if i is None or street_composite(i, weights) is None
                else round(street_composite(i, weights), 4),
                "response_rate": value("response_rate"),
                "resolution_rate": value("resolution_rate"),
                "satisfaction_rate": value("satisfaction_rate"),
                "calls_received": r.get("n", 0),
                "calls_closed": r.get("closed", 0),
                "calls_up": up.get(d.pk, 0),
                "departments_on_calls": round(sum(depts) / len(depts), 4) if depts else None,
            }
        )
    return {
        "city": {"code": city.code, "name": city.name},
        "period": period.label,
        "weight_version": weights.version,
        "bottom_up_weight": call_ranking.bottom_up_weight(),
        "districts": call_ranking.rank(rows),
        "departments": call_ranking.department_ranking(city, period),
    }


def district_below(user, code: str, period: Period) -> dict:
    """One district of the city as the city centre sees it (the level below): its streets and units ranked
    as the district ranks them (the published month if there is one), read-only — the figures behind them
    (the demands) stay with the district."""
    city = city_for(user)
    district = Division.objects.filter(
        code=Division.full_code(str(code or "")), level="district", parent=city
    ).first()
    if district is None:
        raise NotFound("本市没有这个区县 / No such district in this city")
    result = rankings(district, period)

    def value(row, code):
        return ((row.get("indicators") or {}).get(code) or {}).get("value")

    return {
        "city": {"code": city.code, "name": city.name},
        "district": {"code": district.code, "name": district.name},
        "period": period.label,
        "weight_version": result["weight_version"],
        "published_at": result["published_at"],
        "streets": [
            {
                **{k: r.get(k) for k in ("rank", "change", "code", "name", "composite")},
                **{c: value(r, c) for c in ("response_rate", "resolution_rate", "satisfaction_rate")},
            }
            for r in result["streets"]
        ],
        "units": [
            {
                **{
                    k: r.get(k)
                    for k in ("rank", "change", "code", "name", "composite", "objective", "bottom_up")
                },
                **{c: value(r, c) for c in ("response_rate", "on_time_rate", "resolution_rate")},
            }
            for r in result["units"]
        ],
    }


# --- exports: the same writers as the district's evaluation (exports.to_xlsx / to_pdf) -------------------


def _department_table(title: str, rows: list[dict]) -> dict:
    """The columns of the page's table (evaluation/_call_departments.html), in its order."""
    return {
        "title": title,
        "head": [
            _("Rank"),
            _("Department"),
            _("Composite"),
            _("Objective"),
            _("Bottom-up"),
            _("Calls assigned"),
            _("Reported in on time"),
            _("Finished on time"),
            _("Overdue"),
            _("Ratings"),
        ],
        "rate_cols": range(6, 8),
        "decimal_cols": range(2, 5),
        "name_col": 1,
        "rows": [
            [
                r["rank"],
                r["name"],
                r["composite"],
                r["objective"],
                r["bottom_up"],
                r["assigned"],
                r["report_rate"],
                r["finish_rate"],
                r["overdue"],
                r["ratings"],
            ]
            for r in rows
        ],
    }


def _report(period: Period, weight_version, tables: list[dict]) -> dict:
    return {
        "period": period.label,
        "weight_version": weight_version,
        "published_at": None,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "tables": tables,
    }


def department_report(user, period: Period) -> dict:
    result = department_ranking(user, period)
    title = _("Departments on calls up") + " · " + result["centre"]["name"]
    return _report(period, current_weights().version, [_department_table(title, result["departments"])])


def city_report(user, period: Period) -> dict:
    result = city_ranking(user, period)
    districts = {  # the page's columns (evaluation/city.html), in its order
        "title": _("District ranking"),
        "head": [
            _("Rank"),
            _("District"),
            _("Composite"),
            _("Response rate"),
            _("Resolution rate"),
            _("Satisfaction rate"),
            _("Calls received from streets"),
            _("Closed"),
            _("Calls up to the city"),
            _("County departments on calls"),
        ],
        "rate_cols": range(3, 6),
        "decimal_cols": (2, 9),
        "name_col": 1,
        "rows": [
            [
                r["rank"],
                r["name"],
                r["composite"],
                r["response_rate"],
                r["resolution_rate"],
                r["satisfaction_rate"],
                r["calls_received"],
                r["calls_closed"],
                r["calls_up"],
                r["departments_on_calls"],
            ]
            for r in result["districts"]
        ],
    }
    depts = _department_table(_("City departments on calls up"), result["departments"])
    return _report(period, result["weight_version"], [districts, depts])


def district_below_report(user, code: str, period: Period) -> dict:
    result = district_below(user, code, period)
    name = result["district"]["name"]
    # The columns in the page's order (evaluation/district_below.html).
    streets = {
        "title": _("Street ranking") + " · " + name,
        "head": [
            _("Rank"),
            _("Street"),
            _("Composite"),
            _("Response rate"),
            _("Resolution rate"),
            _("Satisfaction rate"),
        ],
        "rate_cols": range(3, 6),
        "decimal_cols": (2,),
        "name_col": 1,
        "rows": [
            [
                r["rank"],
                r["name"],
                r["composite"],
                r["response_rate"],
                r["resolution_rate"],
                r["satisfaction_rate"],
            ]
            for r in result["streets"]
        ],
    }
    units = {
        "title": _("Unit ranking") + " · " + name,
        "head": [
            _("Rank"),
            _("Unit"),
            _("Composite"),
            _("Objective"),
            _("Bottom-up"),
            _("Response rate"),
            INDICATORS["on_time_rate"][0],
            _("Resolution rate"),
        ],
        "rate_cols": range(5, 8),
        "decimal_cols": range(2, 5),
        "name_col": 1,
        "rows": [
            [
                r["rank"],
                r["name"],
                r["composite"],
                r["objective"],
                r["bottom_up"],
                r["response_rate"],
                r["on_time_rate"],
                r["resolution_rate"],
            ]
            for r in result["units"]
        ],
    }
    return _report(period, result["weight_version"], [streets, units])
