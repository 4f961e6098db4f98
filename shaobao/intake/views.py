"""Demand pages: the staff form, the list, the demand page with its triage actions and callback.

Views only parse → access → do → render: reads come from `Demand.objects.visible_to` /
`intake.access`, writes go through the `do_*` actions, and their `shaobao.core.errors.*` become
messages (409: "the state changed, reload"). The resident's public pages are in `views_public`.
`web_helpers` below are shared with the whistle pages.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core import audit
from shaobao.core.errors import Conflict, DomainError, Forbidden, NotAuthenticated, NotFound
from shaobao.core.replica import reads_from_replica
from shaobao.intake import actions, ledger, privacy
from shaobao.intake.access import access_demand
from shaobao.intake.forms import (
    SEARCH_WINDOW_LABELS,
    CallbackForm,
    DemandFilterForm,
    MergeForm,
    NoteForm,
    PlacementForm,
    SelfHandleForm,
    StaffDemandForm,
    TransferForm,
    VerifyForm,
)
from shaobao.intake.models import Demand
from shaobao.intake.selectors import (
    DEFAULT_SEARCH_WINDOW,
    caller_history,
    calls_from,
    filter_demands,
    list_for,
    search_days,
)
from shaobao.intake.states import FINAL_STATES
from shaobao.intake.views_support import demand_actions, map_context, proposal_for, triage_choices
from shaobao.org.access import require_member, require_staff
from shaobao.org.models import Division
from shaobao.org.scoping import district_of, streets_for

# --- web helpers (shared with whistles.views) -------------------------------------------------------


def web_view(view):
    """Access errors become the answers people expect: login, 403, or 404 for what they may not see."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:  # a poll after the session ended: send the whole page to the login
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("login")
                return response
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

    return wrapper


def error_text(exc: DomainError) -> str:
    """The message for a failed action. An illegal transition almost always means someone else acted
    first, so the person is told to reload; other conflicts (e.g. supporting units pending) say why.
    An error that carries a `page_message` (in the active language only) shows that, without field codes."""
    if getattr(exc, "page_message", None):
        return exc.page_message
    if isinstance(exc, Conflict) and exc.code in {"illegal_transition", "conflict"}:
        return f"状态已变化，请刷新 / The state changed, reload: {exc.message}"
    fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return f"{exc.message} {fields}".strip()


def add_action_error(form, exc: DomainError) -> None:
    """Put an action's refusal on the form: on the field it names (a photo's reason next to the photo
    field), else on top. The form stays bound, so everything typed is shown again."""
    for name in exc.fields:
        if name in form.fields:
            form.add_error(name, getattr(exc, "page_message", None) or exc.message)
            return
    form.add_error(None, error_text(exc))


def perform(request, do, **kwargs):
    """Run one `do_*` action as the current user; a domain error becomes a message and its status.

    Returns (result, status): status 200 when it worked, else the error's HTTP status.
    NotFound is re-raised so that objects outside the user's organisation stay invisible (404).
    """
    try:
        return do(actor=request.user, **kwargs), 200
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return None, exc.status


def form_errors(request, form) -> int:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return 400


def done(request, status: int, url: str, success: str, page):
    """After an action: redirect on success (PRG); on failure show the page again with the status."""
    if status == 200:
        messages.success(request, success)
        return redirect(url)
    response = page()
    response.status_code = status
    return response


def paginate(request, qs, per_page: int = 25):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


# --- staff pages -----------------------------------------------------------------------------------


def _streets(user):
    return Division.objects.visible_to(user).filter(level="street").order_by("code")


def _matters(user):
    from shaobao.duties.selectors import duty_list_in_force

    district = district_of(user)
    duty_list = duty_list_in_force(district) if district else None
    return duty_list.matters.order_by("code") if duty_list else []


@web_view
def new_demand(request):
    require_member(request.user)
    streets = _streets(request.user)
    form = StaffDemandForm(request.POST or None, request.FILES or None, streets=streets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            demand = actions.do_receive_demand(
                actor=request.user,
                channel=data["channel"],
                kind=data["kind"],
                subject=data["subject"],
                body=data["body"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                address=data["address"],
                lat=data["lat"],
                lng=data["lng"],
                urgency=data["urgency"],
                street_code=data["street_code"] or None,
                photos=data["photos"],
            )
        except NotFound:
            raise
        except DomainError as exc:
            add_action_error(form, exc)
            response = render(request, "intake/new_demand.html", {"form": form, **map_context()})
            response.status_code = exc.status
            return response
        messages.success(request, _("Demand %(code)s received.") % {"code": demand.tracking_code})
        return redirect("intake:demand_detail", pk=demand.pk)
    return render(request, "intake/new_demand.html", {"form": form, **map_context()})


def _filtered_demands(request, *, scoped: bool = True):
    """The list's filter form and the demands it selects (shared by the list and the ledger export);
    scoped=False: not yet limited to what the user may see (`list_for` does that)."""
    streets, matters = streets_for(request.user), _matters(request.user)
    form = DemandFilterForm(request.GET or None, streets=streets, matters=matters)
    qs = Demand.objects.visible_to(request.user) if scoped else Demand.objects.all()
    qs = qs.select_related("street", "matter", "assigned_unit")
    if form.is_valid():
        qs = filter_demands(qs, viewer=request.user, **{k: v for k, v in form.cleaned_data.items() if v})
    return form, qs


@web_view
@require_GET
def demand_list(request):
    require_member(request.user)
    form, qs = _filtered_demands(request, scoped=False)
    page = paginate(request, list_for(request.user, qs, ("street", "matter", "assigned_unit")))
    searched = form.cleaned_data if form.is_bound and form.is_valid() else {}
    within = searched.get("within") or DEFAULT_SEARCH_WINDOW
    return render(
        request,
        "intake/demand_list.html",
        {
            "form": form,
            "page": page,
            # The period a search looked through, named beside the count (None: all time, or no search).
            "search_window": SEARCH_WINDOW_LABELS[within]
            if search_days(searched.get("q"), within) is not None
            else None,
            "may_export": ledger.may_export(request.user),
            "query": request.GET.urlencode(),
        },
    )


@web_view
@require_GET
def caller_lookup(request):
    """The staff form's intake desk: as the operator types the phone number, the caller's earlier
    demands (only for roles that may see reporters; masked). Attaching happens on the new demand's page."""
    require_member(request.user)
    phone = request.GET.get("reporter_phone", "")
    if sum(ch.isdigit() for ch in phone) < 5:
        return HttpResponse("")
    found = calls_from(request.user, phone)
    return render(request, "intake/_caller_history.html", {"caller_history": found, "demand": None})


@web_view
@require_GET
@reads_from_replica
def demand_ledger(request, fmt: str):
    """The filtered list as a file (xlsx or CSV), masked and formula-safe; see `intake.ledger`."""
    require_member(request.user)
    ledger.access_ledger(request.user)
    if fmt not in ledger.FORMATS:
        raise Http404(fmt)
    _form, qs = _filtered_demands(request)
    try:
        qs = ledger.bounded(qs)
    except DomainError as exc:
        messages.error(request, error_text(exc))
        url = reverse("intake:demand_list")
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    return ledger.response(qs, fmt)


def _demand_page(request, demand: Demand, *, forms: dict | None = None, reporter: dict | None = None):
    allowed = demand_actions(request.user, demand)
    ctx = {
        "demand": demand,
        "allowed": allowed,
        "reporter": reporter or privacy.reporter_for(request.user, demand),
        "may_reveal": "reveal" in allowed,
        "events": audit.history(demand),
        "photos": demand.photos.all(),
        "whistles": demand.whistles.select_related("matter").all(),
        "merged": demand.merged_demands.all(),
        "is_final": demand.state in FINAL_STATES,
        "demand_point": json.dumps([demand.lat, demand.lng])
        if demand.lat is not None and demand.lng is not None
        else "",
        "grid_geometry": demand.grid.geometry if demand.grid else None,
        "grid_geometry_json": json.dumps(demand.grid.geometry) if demand.grid else "",
        **map_context(),
    }
    if "merge" in allowed:  # the intake desk: the caller's earlier demands, to attach this call to one
        ctx["caller_history"] = caller_history(request.user, demand)
    if allowed & {"self_handle", "blow_whistle", "transfer", "merge"}:
        ctx["proposal"] = proposal_for(demand)
        ctx.update(triage_choices(request.user, demand, ctx["proposal"]))
    forms = forms or {}
    ctx["placement_form"] = forms.get("placement") or PlacementForm(
        initial={
            "street_code": demand.street.code if demand.street else "",
            "community_code": demand.community.code if demand.community else "",
            "grid_code": demand.grid.code if demand.grid else "",
        }
    )
    ctx["callback_form"] = forms.get("callback") or CallbackForm()
    ctx["verify_form"] = forms.get("verify") or VerifyForm()
    ctx["finish_form"] = forms.get("finish") or NoteForm()
    return render(request, "intake/demand_detail.html", ctx)


@web_view
@require_GET
def demand_detail(request, pk: int):
    demand = access_demand(request.user, pk)
    return _demand_page(request, demand)


@web_view
@require_POST
def reveal_reporter(request, pk: int):
    """Show the reporter's name and phone to someone who must call back; logged by `privacy`."""
    demand = access_demand(request.user, pk)
    try:
        reporter = privacy.reporter_for(request.user, demand, reveal=True)
    except Forbidden as exc:
        messages.error(request, exc.message)
        reporter = privacy.reporter_for(request.user, demand)
    if request.htmx:
        return render(
            request, "intake/_reporter.html", {"demand": demand, "reporter": reporter, "may_reveal": False}
        )
    return _demand_page(request, demand, reporter=reporter)


def _demand_action(request, pk: int, form, do, success: str, form_key: str = "", *, extra):
    """Shared body of the demand's action views: validate, act, then redirect or show errors."""
    demand = access_demand(request.user, pk)
    url = reverse("intake:demand_detail", args=[demand.pk])
    if not form.is_valid():
        status = form_errors(request, form)
        response = _demand_page(request, demand, forms={form_key: form})
        response.status_code = status
        return response
    _result, status = perform(request, do, demand_id=demand.pk, **extra(form.cleaned_data))
    return done(request, status, url, success, lambda: _demand_page(request, access_demand(request.user, pk)))


@web_view
@require_POST
def correct_placement(request, pk: int):
    def args(d):
        return {k: (d[k] or None) for k in ("street_code", "community_code", "grid_code")}

    return _demand_action(
        request,
        pk,
        PlacementForm(request.POST),
        actions.do_correct_placement,
        _("Placement corrected."),
        "placement",
        extra=args,
    )


@web_view
@require_POST
def self_handle(request, pk: int):
    demand = access_demand(request.user, pk)
    units = triage_choices(request.user, demand, None)["street_units"]
    return _demand_action(
        request,
        pk,
        SelfHandleForm(request.POST, units=units),
        actions.do_self_handle,
        _("Assigned to the street's own unit."),
        extra=lambda d: {"unit_code": d["unit_code"], "note": d["note"]},
    )


@web_view
@require_POST
def transfer(request, pk: int):
    demand = access_demand(request.user, pk)
    streets = triage_choices(request.user, demand, None)["other_streets"]
    return _demand_action(
        request,
        pk,
        TransferForm(request.POST, streets=streets),
        actions.do_transfer,
        _("Transferred to another street."),
        extra=lambda d: {"street_code": d["street_code"], "note": d["note"]},
    )


@web_view
@require_POST
def merge(request, pk: int):
    return _demand_action(
        request,
        pk,
        MergeForm(request.POST),
        actions.do_merge,
        _("Merged."),
        extra=lambda d: {"into_id": d["into_id"], "note": d["note"]},
    )


@web_view
@require_POST
def finish_self_handling(request, pk: int):
    return _demand_action(
        request,
        pk,
        NoteForm(request.POST),
        actions.do_finish_self_handling,
        _("Handled; awaiting verification."),
        "finish",
        extra=lambda d: {"note": d["note"]},
    )


@web_view
@require_POST
def verify_self_handling(request, pk: int):
    return _demand_action(
        request,
        pk,
        VerifyForm(request.POST),
        actions.do_verify_self_handling,
        _("Verification recorded."),
        "verify",
        extra=lambda d: {"passed": d["passed"], "note": d["note"]},
    )


@web_view
@require_POST
def callback(request, pk: int):
    return _demand_action(
        request,
        pk,
        CallbackForm(request.POST),
        actions.do_callback,
        _("Callback recorded."),
        "callback",
        extra=lambda d: {"solved": d["solved"], "satisfaction": d["satisfaction"], "note": d["note"]},
    )
