"""Whistle pages: the inbox per role (polled every 10 s), the whistle list, the whistle page and the
small forms for each step (report in, dispute, arbitrate, progress, extension, finish, verify).

Views only parse → access → do → render; the helpers shared with the demand pages (error messages,
409 "the state changed", redirect after success) are in `intake.views`.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core import audit
from shaobao.intake.access import access_demand
from shaobao.intake.forms import VerifyForm
from shaobao.intake.models import Demand
from shaobao.intake.views import _demand_page, done, form_errors, paginate, perform, web_view
from shaobao.org.access import require_member
from shaobao.org.models import Unit
from shaobao.org.scoping import district_of, streets_for, units_for
from shaobao.whistles import actions
from shaobao.whistles.access import access_extension, access_summons, access_whistle
from shaobao.whistles.forms import (
    ArbitrateForm,
    BlowWhistleForm,
    DecideExtensionForm,
    DisputeForm,
    ExtensionForm,
    FinishForm,
    InboxFilterForm,
    ProgressForm,
    blow_form_for,
)
from shaobao.whistles.models import ExtensionRequest, ProgressNote, Summons, Whistle, WhistleState
from shaobao.whistles.selectors import filter_whistles, inbox_for
from shaobao.whistles.todo import DUE_FILTERS, filter_due
from shaobao.whistles.views_support import filter_items, pending_partners, summons_actions, whistle_actions


def _filter_choices(user) -> dict:
    from shaobao.duties.selectors import duty_list_in_force

    district = district_of(user)
    duty_list = duty_list_in_force(district) if district else None
    return {
        "streets": streets_for(user),
        "units": units_for(user),
        "matters": duty_list.matters.order_by("code") if duty_list else [],
    }


# --- inbox ------------------------------------------------------------------------------------------


FILTERS = ("q", "state", "type", "street", "unit", "matter", "overdue")


def _inbox_context(request, *, with_form: bool = True) -> dict:
    """Sections with counts, the current section's page; the filter form only for the whole page (the
    polled partial applies the same filters without building the long unit/matter lists)."""
    require_member(request.user)
    sections = list(inbox_for(request.user))
    form = InboxFilterForm(request.GET or None, **_filter_choices(request.user)) if with_form else None
    if form is not None:
        filters = form.cleaned_data if form.is_valid() else {}
    else:  # plain equality filters on codes/values: an unknown value just matches nothing
        filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
        filters["unit"] = (filters["unit"].split() or [""])[0]  # a suggestion reads "CODE name"
    key = request.GET.get("section") or next((s["key"] for s in sections if s["count"]), "")
    current = next((s for s in sections if s["key"] == key), sections[0] if sections else None)
    due = request.GET.get("due", "")
    items = None
    if current:
        items = filter_items(current["items"], filters)
        if due in DUE_FILTERS:  # the dashboard's "overdue" / "due today" links
            items = filter_due(current["key"], items, due)
    page = paginate(request, items, 20) if current else None
    return {"sections": sections, "current": current, "page": page, "form": form, "due": due}


@web_view
@require_GET
def inbox(request):
    return render(request, "whistles/inbox.html", _inbox_context(request))


@web_view
@require_GET
def inbox_items(request):
    """The polled part of the inbox (every 10 s): section counts and the current page of items."""
    return render(request, "whistles/_inbox_items.html", _inbox_context(request, with_form=False))


# --- whistle list and page --------------------------------------------------------------------------


@web_view
@require_GET
def whistle_list(request):
    require_member(request.user)
    choices = _filter_choices(request.user)
    form = InboxFilterForm(request.GET or None, states=WhistleState.choices, **choices)
    qs = Whistle.objects.visible_to(request.user).select_related("street", "matter")
    if form.is_valid():
        qs = filter_whistles(qs, **{k: v for k, v in form.cleaned_data.items() if v})
    return render(request, "whistles/whistle_list.html", {"form": form, "page": paginate(request, qs)})


def _timeline(whistle: Whistle, summonses: list[Summons]) -> list:
    """The whistle's events and its summonses' events, in time order, each labelled with its unit."""
    events = list(audit.history(whistle))
    for s in summonses:
        for e in audit.history(s):
            e.label = s.unit.name
            events.append(e)
    return sorted(events, key=lambda e: (e.at, e.pk))


def _whistle_page(request, whistle: Whistle):
    summonses = list(
        whistle.summonses.select_related("unit").prefetch_related(
            Prefetch("extension_requests", queryset=ExtensionRequest.objects.order_by("-requested_at")),
            Prefetch("progress_notes", queryset=ProgressNote.objects.select_related("author").order_by("at")),
        )
    )
    for s in summonses:
        s.allowed = summons_actions(request.user, s, whistle, summonses)
        s.waiting_for = pending_partners(s, summonses) if "finish_waiting" in s.allowed else []
    ctx = {
        "whistle": whistle,
        "summonses": summonses,
        "demands": Demand.objects.visible_to(request.user).filter(whistles=whistle).select_related("street"),
        "events": _timeline(whistle, summonses),
        "allowed": whistle_actions(request.user, whistle),
        "dispute_form": DisputeForm(),
        "arbitrate_form": ArbitrateForm(),
        "progress_form": ProgressForm(),
        "extension_form": ExtensionForm(),
        "decide_form": DecideExtensionForm(),
        "finish_form": FinishForm(),
        "verify_form": VerifyForm(),
    }
    return render(request, "whistles/whistle_detail.html", ctx)


@web_view
@require_GET
def whistle_detail(request, pk: int):
    return _whistle_page(request, access_whistle(request.user, pk))


# --- actions ----------------------------------------------------------------------------------------


@web_view
@require_POST
def blow(request):
    """Blow a whistle from the demand page; on error the demand page is shown again with the message."""
    demand = access_demand(request.user, request.POST.get("from_demand"))
    ids = [int(i) for i in request.POST.getlist("demand_ids") if i.isdigit()] or [demand.pk]
    choices = _filter_choices(request.user)
    visible = Demand.objects.visible_to(request.user).filter(pk__in=ids)
    form = BlowWhistleForm(request.POST, matters=choices["matters"], units=choices["units"], demands=visible)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        whistle, status = perform(
            request,
            actions.do_blow_whistle,
            demand_ids=d["demand_ids"],
            type=d["type"],
            matter_code=d["matter_code"],
            lead_unit_code=d["lead_unit_code"],
            supporting_unit_codes=d["supporting_unit_codes"],
            note=d["note"],
        )
        if whistle is not None:
            return done(
                request, 200, reverse("whistles:whistle_detail", args=[whistle.pk]), _("Whistle blown."), None
            )
    else:
        form_errors(request, form)
    response = _demand_page(request, access_demand(request.user, demand.pk))
    response.status_code = status
    return response


@web_view
@require_GET
def blow_units(request):
    """The lead and supporting units for the matter chosen in the whistle form (from the duty list)."""
    from shaobao.intake.views_support import whistle_units

    demand = access_demand(request.user, request.GET.get("demand"))
    matters = list(_filter_choices(request.user)["matters"])
    code = request.GET.get("matter_code", "")
    form = blow_form_for(demand, matters, whistle_units(request.user, demand), code, "", [])
    return render(request, "whistles/_blow_units.html", {"blow_form": form})


@web_view
@require_GET
def unit_search(request):
    """Type-ahead for a unit (arbitration's "summon instead"): <option>s for a <datalist>, at most 20,
    matching the code or the name; with `whistle`, only the units its street may summon."""
    require_member(request.user)
    if request.GET.get("whistle"):
        street = access_whistle(request.user, request.GET["whistle"]).street
        units = Unit.objects.visible_to(request.user).serving(street)
    else:
        units = units_for(request.user)
    term = (request.GET.get("q") or request.GET.get("reassign_to") or "").strip()
    if term:
        units = units.filter(Q(code__istartswith=term.split()[0]) | Q(name__icontains=term))
    units = units.order_by("code").only("code", "name")[:UNIT_SEARCH_LIMIT]
    return render(request, "whistles/_unit_options.html", {"units": units})


UNIT_SEARCH_LIMIT = 20


def _summons_action(request, pk: int, form, do, success: str, args):
    summons = access_summons(request.user, pk)
    url = reverse("whistles:whistle_detail", args=[summons.whistle_id])
    if form is not None and not form.is_valid():
        status = form_errors(request, form)
    else:
        _result, status = perform(request, do, **args(form.cleaned_data if form is not None else {}))
    return done(
        request,
        status,
        url,
        success,
        lambda: _whistle_page(request, access_whistle(request.user, summons.whistle_id)),
    )


@web_view
@require_POST
def report_in(request, pk: int):
    return _summons_action(
        request, pk, None, actions.do_report_in, _("Reported in."), lambda d: {"summons_id": pk}
    )


@web_view
@require_POST
def dispute(request, pk: int):
    return _summons_action(
        request,
        pk,
        DisputeForm(request.POST),
        actions.do_dispute,
        _("Dispute sent to the coordinator."),
        lambda d: {"summons_id": pk, "reason": d["reason"]},
    )


@web_view
@require_POST
def arbitrate(request, pk: int):
    form = ArbitrateForm(request.POST)
    return _summons_action(
        request,
        pk,
        form,
        actions.do_arbitrate,
        _("Arbitration recorded."),
        lambda d: {
            "summons_id": pk,
            "decision": d["decision"],
            "reassign_to": d["reassign_to"] or None,
            "note": d["note"],
        },
    )


@web_view
@require_POST
def progress(request, pk: int):
    return _summons_action(
        request,
        pk,
        ProgressForm(request.POST, request.FILES),
        actions.do_record_progress,
        _("Progress recorded."),
        lambda d: {"summons_id": pk, "note": d["note"], "photo": d["photo"]},
    )


@web_view
@require_POST
def request_extension(request, pk: int):
    return _summons_action(
        request,
        pk,
        ExtensionForm(request.POST),
        actions.do_request_extension,
        _("Extension requested."),
        lambda d: {"summons_id": pk, "days": d["days"], "reason": d["reason"]},
    )


@web_view
@require_POST
def finish(request, pk: int):
    return _summons_action(
        request,
        pk,
        FinishForm(request.POST),
        actions.do_finish,
        _("Finished."),
        lambda d: {"summons_id": pk, "note": d["note"]},
    )


@web_view
@require_POST
def decide_extension(request, pk: int):
    ext = access_extension(request.user, pk)
    form = DecideExtensionForm(request.POST)
    return _summons_action(
        request,
        ext.summons_id,
        form,
        actions.do_decide_extension,
        _("Extension decided."),
        lambda d: {"extension_id": ext.pk, "grant": d["grant"], "note": d["note"]},
    )


@web_view
@require_POST
def verify(request, pk: int):
    whistle = access_whistle(request.user, pk)
    url = reverse("whistles:whistle_detail", args=[whistle.pk])
    form = VerifyForm(request.POST)
    if not form.is_valid():
        status = form_errors(request, form)
    else:
        _result, status = perform(
            request,
            actions.do_verify,
            whistle_id=whistle.pk,
            passed=form.cleaned_data["passed"],
            note=form.cleaned_data["note"],
        )
    return done(
        request,
        status,
        url,
        _("Verification recorded."),
        lambda: _whistle_page(request, access_whistle(request.user, pk)),
    )
