"""Pages of the calls up the levels: each level's board and queue, the list, a call's page with the step
forms, raising a call, and the departments' ranking with its exports.

Views only parse → access → do → render; the rules live in `calls.actions` / `calls.access`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shaobao.calls import actions
from shaobao.calls.access import (
    access_assignment,
    access_call,
    access_extension,
    acts_for_caller,
    acts_for_unit,
    can_call,
    staffs_centre,
)
from shaobao.calls.forms import (
    ArbitrateForm,
    AssignForm,
    CallFilterForm,
    CallUpForm,
    DecideExtensionForm,
    ExtensionForm,
    NoteForm,
    RaiseCallForm,
    ReasonForm,
    VerifyForm,
)
from shaobao.calls.models import Call, CallAssignment, CallState
from shaobao.calls.selectors import board_for, filter_calls
from shaobao.core import audit
from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.core.models import Event
from shaobao.intake.views import done, form_errors, paginate, perform
from shaobao.org.access import STAFF_ROLES, require_member
from shaobao.org.scoping import scope_of
from shaobao.whistles.models import SummonsRole, SummonsState, SupervisionKind
from shaobao.whistles.states import ACTIVE_SUMMONS_STATES

CALL_ROLES = STAFF_ROLES | {"city_coordinator"}


def calls_view(view):
    """Login; staff of any level (city coordinators included) — residents and role-less users 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            require_member(request.user)
            if not scope_of(request.user).has_role(*CALL_ROLES):
                raise Forbidden("此页面仅供工作人员使用 / This page is for staff")
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


@calls_view
def board(request):
    b = board_for(request.user)
    key = request.GET.get("section") or next((s["key"] for s in b.sections if s["count"]), "")
    current = next((s for s in b.sections if s["key"] == key), b.sections[0] if b.sections else None)
    page = paginate(request, current["items"], 20) if current else None
    return render(
        request,
        "calls/board.html",
        {
            "board": b,
            "current": current,
            "page": page,
            "may_call": bool(can_call(request.user)),
        },
    )


@calls_view
def call_list(request):
    form = CallFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = filter_calls(
        Call.objects.visible_to(request.user).select_related("caller", "centre"),
        **{k: v for k, v in filters.items() if v not in (None, "", False)},
    )
    return render(request, "calls/list.html", {"form": form, "page": paginate(request, qs, 25)})


@calls_view
def new_call(request):
    callers = can_call(request.user)
    if not callers:
        raise Forbidden("您不能发起呼叫 / You cannot call up")
    form = RaiseCallForm(request.POST or None, callers=callers)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = form_errors(request, form)
        else:
            d = form.cleaned_data
            call, status = perform(
                request,
                actions.do_raise_call,
                caller_code=d["caller"],
                subject=d["subject"],
                body=d["body"],
                type=d["type"],
            )
            if status == 200:
                return done(request, 200, reverse("calls:detail", args=[call.pk]), _("Call sent up."), None)
    response = render(request, "calls/new.html", {"form": form})
    response.status_code = status
    return response


def _timeline(call: Call, assignments: list) -> list:
    """The call's events and its departments' (steps, warnings and overdue marks, extensions), in time
    order, each department's labelled with its name."""
    events = list(audit.history(call))
    names = {a.pk: a.unit.name for a in assignments}
    for e in Event.objects.filter(
        subject_type=CallAssignment._meta.label_lower, subject_id__in=list(names)
    ).select_related("actor"):
        e.label = names[e.subject_id]
        events.append(e)
    return sorted(events, key=lambda e: (e.at, e.pk))


def _call_page(request, call: Call):
    user = request.user
    assignments = list(
        call.assignments.select_related("unit")
        .prefetch_related("extension_requests", "supervision_orders")
        .order_by("role", "id")
    )
    is_centre = staffs_centre(user, call.centre)
    is_caller = acts_for_caller(user, call.caller)
    units = list(actions.centre_units(call.centre)) if is_centre else []
    departments = [a.unit for a in assignments if a.state != SummonsState.WITHDRAWN]
    for a in assignments:
        a.mine = acts_for_unit(user, a.unit_id)
        a.overdue = a.is_overdue()
        a.extensions = list(a.extension_requests.all())
        a.pending_extension = next((e for e in a.extensions if e.state == "pending"), None)
        a.may_extend = a.mine and a.state in ACTIVE_SUMMONS_STATES and a.pending_extension is None
        a.open_orders = [
            o
            for o in a.supervision_orders.all()
            if o.kind == SupervisionKind.SUPERVISION and not o.resolved_at
        ]
    context = {
        "call": call,
        "assignments": assignments,
        "children": list(call.children.all()),
        "is_centre": is_centre,
        "is_caller": is_caller,
        "assign_form": AssignForm(units=units) if is_centre and call.state == CallState.RAISED else None,
        "may_call_up": is_centre
        and call.centre.level == "district"
        and call.centre.parent_id
        and call.state in (CallState.RAISED, CallState.ASSIGNED),
        "call_up_form": CallUpForm(),
        "verify_form": VerifyForm(departments=departments)
        if is_caller and call.state == CallState.FED_BACK
        else None,
        "arbitrate_form": ArbitrateForm(units=units) if is_centre else None,
        "reason_form": ReasonForm(),
        "finish_form": NoteForm(),
        "extension_form": ExtensionForm(),
        "decide_form": DecideExtensionForm() if is_centre else None,
        "ratings": list(call.ratings.select_related("unit")),
        "events": _timeline(call, assignments),
        "lead": SummonsRole.LEAD,
    }
    return render(request, "calls/detail.html", context)


@calls_view
def detail(request, pk: int):
    return _call_page(request, access_call(request.user, pk))


def _after(request, pk: int, status: int, success: str):
    return done(
        request,
        status,
        reverse("calls:detail", args=[pk]),
        success,
        lambda: _call_page(request, access_call(request.user, pk)),
    )


@calls_view
@require_POST
def assign(request, pk: int):
    call = access_call(request.user, pk)
    form = AssignForm(request.POST, units=actions.centre_units(call.centre))
    if not form.is_valid():
        status = form_errors(request, form)
    else:
        d = form.cleaned_data
        _r, status = perform(
            request,
            actions.do_assign,
            call_id=call.pk,
            lead_unit_code=d["lead_unit"],
            supporting_unit_codes=d["supporting_units"],
            note=d["note"],
        )
    return _after(request, pk, status, _("Departments assigned."))


@calls_view
@require_POST
def call_up(request, pk: int):
    form = CallUpForm(request.POST)
    if not form.is_valid():
        status = form_errors(request, form)
    else:
        _r, status = perform(request, actions.do_call_up, call_id=pk, note=form.cleaned_data["note"])
    return _after(request, pk, status, _("Called up to the city."))


@calls_view
@require_POST
def verify(request, pk: int):
    call = access_call(request.user, pk)
    departments = [
        a.unit for a in call.assignments.exclude(state=SummonsState.WITHDRAWN).select_related("unit")
    ]
    form = VerifyForm(request.POST, departments=departments)
    if not form.is_valid():
        status = form_errors(request, form)
    else:
        d = form.cleaned_data
        _r, status = perform(
            request,
            actions.do_verify,
            call_id=call.pk,
            passed=d["passed"],
            note=d["note"],
            ratings=form.ratings() if d["passed"] else None,
        )
    return _after(request, pk, status, _("Verification recorded."))


def _assignment_step(request, pk: int, do, success: str, form=None, **fields):
    a = access_assignment(request.user, pk)
    if form is not None and not form.is_valid():
        status = form_errors(request, form)
    else:
        kwargs = {k: form.cleaned_data[v] for k, v in fields.items()} if form is not None else {}
        _r, status = perform(request, do, assignment_id=a.pk, **kwargs)
    return _after(request, a.call_id, status, success)


@calls_view
@require_POST
def report_in(request, pk: int):
    return _assignment_step(request, pk, actions.do_report_in, _("Reported in."))


@calls_view
@require_POST
def dispute(request, pk: int):
    return _assignment_step(
        request,
        pk,
        actions.do_dispute,
        _("Dispute sent to the centre."),
        ReasonForm(request.POST),
        reason="reason",
    )


@calls_view
@require_POST
def finish(request, pk: int):
    return _assignment_step(
        request, pk, actions.do_finish, _("Result recorded."), NoteForm(request.POST), note="note"
    )


@calls_view
@require_POST
def arbitrate(request, pk: int):
    a = access_assignment(request.user, pk)
    form = ArbitrateForm(request.POST, units=actions.centre_units(a.call.centre))
    return _assignment_step(
        request,
        pk,
        actions.do_arbitrate,
        _("Dispute decided."),
        form,
        decision="decision",
        reassign_to="reassign_to",
        note="note",
    )


@calls_view
@require_POST
def request_extension(request, pk: int):
    return _assignment_step(
        request,
        pk,
        actions.do_request_extension,
        _("Extension request sent to the centre."),
        ExtensionForm(request.POST),
        days="days",
        reason="reason",
    )


@calls_view
@require_POST
def decide_extension(request, pk: int):
    ext = access_extension(request.user, pk)
    form = DecideExtensionForm(request.POST)
    if not form.is_valid():
        status = form_errors(request, form)
    else:
        d = form.cleaned_data
        _r, status = perform(
            request, actions.do_decide_extension, extension_id=ext.pk, grant=d["grant"], note=d["note"]
        )
    return _after(request, ext.assignment.call_id, status, _("Extension decided."))
