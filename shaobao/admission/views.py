"""Pages of task admission: the catalogue (per district and per community), admission requests (a department
files, the district decides), not-admitted marks (a community files, the department sees), the reports.

Views only parse → access → do → render; the rules live in `admission.actions` / `access`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.admission import access, actions, exports, selectors
from shaobao.admission.forms import (
    AcknowledgeForm,
    CatalogueFilterForm,
    DecideForm,
    EntryForm,
    MarkFilterForm,
    MarkForm,
    RequestFilterForm,
    RequestForm,
)
from shaobao.admission.models import OUTSIDE_SIGNBOARD_LIMIT, CatalogueEntry, EntryKind, RequestState
from shaobao.core.errors import DomainError, Forbidden, NotFound
from shaobao.intake.views import add_action_error, error_text, paginate, web_view
from shaobao.org.models import Division, Unit

PER_PAGE = 25


def _district_units(district: Division):
    return Unit.objects.filter(is_active=True, division__code__startswith=district.prefix).order_by("code")


def _district_communities(district: Division):
    return (
        Division.objects.filter(level="community", code__startswith=district.prefix)
        .select_related("parent")
        .order_by("code")
    )


# --- the catalogue ------------------------------------------------------------------------------------


@require_GET
@web_view
def catalogue(request):
    user = request.user
    district = access.user_district(user)
    form = CatalogueFilterForm(
        request.GET or None, units=_district_units(district), communities=_district_communities(district)
    )
    qs = access.catalogue_visible_to(user).filter(district=district)
    community = None
    if form.is_valid():
        data = form.cleaned_data
        if data["community"]:
            community = access.access_community(user, data["community"])
        qs = selectors.filter_catalogue(
            qs,
            kind=data["kind"],
            unit=data["unit"],
            in_force=data["in_force"],
            q=data["q"],
            community=community,
        )
    base = access.catalogue_visible_to(user).filter(district=district)
    if community is not None:
        base = selectors.filter_catalogue(base, community=community)
    counts = selectors.catalogue_counts(base)
    page = paginate(request, qs.select_related("unit").order_by("kind", "code"), PER_PAGE)
    return render(
        request,
        "admission/catalogue.html",
        {
            "district": district,
            "form": form,
            "page": page,
            "community": community,
            "counts": [(code, label, counts[code]) for code, label in EntryKind.choices],
            "outside_signboards": selectors.outside_signboards_of(district, community) if community else None,
            "limit": OUTSIDE_SIGNBOARD_LIMIT,
            "today": timezone.localdate(),
            "may_file": access.filing_units(user).exists(),
            "may_mark": access.marking_communities(user).exists(),
            "show_requests": access.may_see_requests(user),
            "may_add": access.is_district_decider(user, district),
        },
    )


@web_view
def entry_new(request):
    """The district adds an entry to its catalogue (seeding it, or a change decided outside the requests)."""
    user = request.user
    district = access.user_district(user)
    if not access.is_district_decider(user, district):
        raise Forbidden(_("Only the district's coordinators may change its catalogue."))
    units = _district_units(district)
    form = EntryForm(request.POST or None, units=units, communities=_district_communities(district))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = actions.do_add_entry(
                    actor=user,
                    district=district,
                    name=data["name"],
                    kind=data["kind"],
                    basis=data["basis"],
                    unit=units.get(code=data["unit"]) if data["unit"] else None,
                    communities=data["communities"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    outside=data["outside"],
                )
            except NotFound:
                raise
            except DomainError as exc:
                add_action_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Entry %(code)s added to the catalogue.") % {"code": entry.code})
                return redirect(reverse("admission:catalogue") + f"?q={entry.code}")
        else:
            status = 400
    response = render(request, "admission/entry_form.html", {"form": form})
    response.status_code = status
    return response


# --- admission requests -------------------------------------------------------------------------------


def _require_request_viewer(user) -> None:
    if not access.may_see_requests(user):
        raise Forbidden(_("Admission requests are for departments and the district."))


@require_GET
@web_view
def request_list(request):
    user = request.user
    _require_request_viewer(user)
    district = access.user_district(user)
    units = (
        _district_units(district) if access.is_district_decider(user, district) else access.filing_units(user)
    )
    form = RequestFilterForm(request.GET or None, units=units)
    qs = access.requests_visible_to(user).filter(district=district).select_related("unit")
    if form.is_valid():
        qs = selectors.filter_requests(qs, **form.cleaned_data)
    return render(
        request,
        "admission/request_list.html",
        {
            "form": form,
            "page": paginate(request, qs.order_by("-filed_at", "-id"), PER_PAGE),
            "states": [
                (c, label, n)
                for (c, label), n in zip(
                    RequestState.choices, selectors.request_states(user, district).values(), strict=True
                )
            ],
            "may_file": access.filing_units(user).exists(),
        },
    )


@web_view
def request_new(request):
    user = request.user
    units = access.filing_units(user)
    if not units.exists():
        raise Forbidden(_("Only the handlers and leaders of a department may file admission requests."))
    district = access.user_district(user)
    form = RequestForm(request.POST or None, units=units, communities=_district_communities(district))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                req = actions.do_file_request(
                    actor=user,
                    unit=units.get(code=data["unit"]),
                    kind=data["kind"],
                    name=data["name"],
                    basis=data["basis"],
                    reason=data["reason"],
                    communities=data["communities"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    outside=data["outside"],
                )
            except NotFound:
                raise
            except DomainError as exc:
                add_action_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Admission request filed; the district will decide."))
                return redirect("admission:request_detail", pk=req.pk)
        else:
            status = 400
    response = render(request, "admission/request_form.html", {"form": form})
    response.status_code = status
    return response


def _request_page(request, req, decide_form=None, status=200):
    user = request.user
    may_decide = req.state == RequestState.PENDING and access.is_district_decider(user, req.district)
    entry = CatalogueEntry.objects.filter(request=req).first()
    response = render(
        request,
        "admission/request_detail.html",
        {
            "req": req,
            "communities": list(req.communities.select_related("parent").order_by("code")),
            "entry": entry,
            "may_decide": may_decide,
            "decide_form": decide_form or DecideForm(),
        },
    )
    response.status_code = status
    return response


@require_GET
@web_view
def request_detail(request, pk: int):
    return _request_page(request, access.access_request(request.user, pk))


@require_POST
@web_view
def request_decide(request, pk: int):
    user = request.user
    req = access.access_request(user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _request_page(request, req, form, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        actions.do_decide_request(
            actor=user, request_id=req.pk, approve=approve, note=form.cleaned_data["note"]
        )
    except NotFound:
        raise
    except DomainError as exc:
        if exc.status == 409:
            messages.error(request, error_text(exc))
            return redirect("admission:request_detail", pk=req.pk)
        add_action_error(form, exc)
        return _request_page(request, req, form, status=exc.status)
    messages.success(
        request, _("Request approved: it is now in the catalogue.") if approve else _("Request refused.")
    )
    return redirect("admission:request_detail", pk=req.pk)


# --- not-admitted marks -------------------------------------------------------------------------------


@require_GET
@web_view
def mark_list(request):
    user = request.user
    district = access.user_district(user)
    form = MarkFilterForm(request.GET or None, units=_district_units(district))
    qs = access.marks_visible_to(user).select_related("community", "community__parent", "unit", "entry")
    if form.is_valid():
        qs = selectors.filter_marks(qs, **form.cleaned_data)
    own_units = set(access.people.unit_ids(user))
    return render(
        request,
        "admission/mark_list.html",
        {
            "form": form,
            "page": paginate(request, qs.order_by("-marked_at", "-id"), PER_PAGE),
            "own_units": own_units,
            "ack_form": AcknowledgeForm(),
            "may_mark": access.marking_communities(user).exists(),
            "show_requests": access.may_see_requests(user),
        },
    )


@web_view
def mark_new(request):
    user = request.user
    communities = access.marking_communities(user).select_related("parent")
    if not communities.exists():
        raise Forbidden(_("Only a street's dispatchers and leaders mark the tasks of its communities."))
    district = access.user_district(user)
    units = _district_units(district)
    entries = CatalogueEntry.objects.filter(district=district).order_by("kind", "code")
    form = MarkForm(request.POST or None, communities=communities, units=units, entries=entries)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.do_mark_not_admitted(
                    actor=user,
                    community=communities.get(code=data["community"]),
                    unit=units.get(code=data["unit"]),
                    task=data["task"],
                    received_on=data["received_on"],
                    ground=data["ground"],
                    entry=entries.get(pk=int(data["entry"])) if data["entry"] else None,
                    note=data["note"],
                )
            except NotFound:
                raise
            except DomainError as exc:
                add_action_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Marked as not admitted; the department concerned is told."))
                return redirect("admission:mark_list")
        else:
            status = 400
    response = render(request, "admission/mark_form.html", {"form": form})
    response.status_code = status
    return response


@require_POST
@web_view
def mark_acknowledge(request, pk: int):
    form = AcknowledgeForm(request.POST)
    form.is_valid()
    try:
        actions.do_acknowledge_mark(
            actor=request.user, mark_id=pk, answer=form.cleaned_data.get("answer", "")
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("admission:mark_list")


# --- reports ------------------------------------------------------------------------------------------


def _report_data(user):
    _require_request_viewer(user)
    district = access.user_district(user)
    return district, {
        "by_department": selectors.requests_by_department(user, district),
        "refusals": list(selectors.refusals(user, district)[:200]),
        "per_community": selectors.catalogue_per_community(district),
    }


@require_GET
@web_view
def reports(request):
    district, data = _report_data(request.user)
    chart = {
        "units": [r["unit__name"] for r in data["by_department"][:20]],
        "approved": [r["approved"] for r in data["by_department"][:20]],
        "refused": [r["refused"] for r in data["by_department"][:20]],
        "pending": [r["pending"] for r in data["by_department"][:20]],
    }
    page = paginate(request, data["per_community"], 50)
    return render(
        request,
        "admission/reports.html",
        {
            "district": district,
            **data,
            "page": page,
            "kinds": EntryKind.choices,
            "chart": chart,
            "limit": OUTSIDE_SIGNBOARD_LIMIT,
        },
    )


@require_GET
@web_view
def reports_export(request):
    district, data = _report_data(request.user)
    body = exports.reports_workbook(district, **data)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"admission-{district.code[:6]}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
