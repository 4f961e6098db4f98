"""Pages of forces sent down: deployments, the cadre's own page (presence, tasks), quotas, the reserve pool,
village posts, assessments and reports. Views parse → access → do → render; rules are in actions/access."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shaobao.core.errors import Conflict, DomainError, Forbidden, NotAuthenticated, NotFound
from shaobao.forces import access, actions, exports, selectors
from shaobao.forces.forms import (
    ASSESSOR_KIND_CHOICES,
    ASSESSOR_ROWS,
    AssessmentForm,
    DeploymentFilterForm,
    DeploymentForm,
    EndForm,
    FinishForm,
    NoteForm,
    PresenceForm,
    QuotaForm,
    TaskForm,
)
from shaobao.forces.models import DeploymentMode, TaskState
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.views import add_action_error, error_text, form_errors, paginate
from shaobao.org.scoping import scope_of, units_for
from shaobao.whistles.models import Whistle, WhistleState


def forces_view(view=None, *, staff: bool = True):
    """Login, then 403 for residents and role-less users (and, for staff pages, for cadres alone);
    NotFound → 404, Forbidden → 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                if staff:
                    access.require_staff_view(request.user)
                else:
                    access.require_forces_member(request.user)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except NotAuthenticated:
                return redirect_to_login(request.get_full_path())
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc

        return wrapper

    return decorate(view) if view else decorate


def _in_language(text) -> str:
    """The active language's half of an action's "中文 / English" message: a page speaks one language."""
    zh, sep, en = str(text).partition(" / ")
    if not sep:
        return str(text)
    return zh if (get_language() or "").startswith("zh") else en


def _act(request, do, **kwargs):
    try:
        return do(actor=request.user, **kwargs), None
    except NotFound:
        raise
    except DomainError as exc:
        # The API keeps "中文 / English" and field codes; the page shows its own language: each named field's
        # message (`page_fields`, codes left out) and a message naming them (`page_message`, error_text's).
        exc.page_fields = {k: _in_language(v) for k, v in exc.fields.items() if " / " in str(v)}
        head = _in_language(exc.message)
        if isinstance(exc, Conflict) and exc.code in {"illegal_transition", "conflict"}:
            head = f"{_('The state changed; reload the page.')} {head}"
        details = " ".join(exc.page_fields.values())
        exc.page_message = (
            _("%(message)s: %(details)s") % {"message": head, "details": details} if details else head
        )
        return None, exc


def _may_create(user) -> bool:
    scope = scope_of(user)
    return scope.is_district or scope.has_role("unit_leader")


# --- deployments ---------------------------------------------------------------------------------------


@require_GET
@forces_view
def deployment_list(request):
    user = request.user
    form = DeploymentFilterForm(request.GET or None, hosts=selectors.hosts_for(user), units=units_for(user))
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    qs = selectors.deployment_list(user, **filters)
    return render(
        request,
        "forces/deployment_list.html",
        {"form": form, "page": paginate(request, qs, 25), "may_create": _may_create(user)},
    )


def _deployment_form(user, data=None, initial=None):
    return DeploymentForm(
        data,
        initial=initial,
        cadres=selectors.cadres_for(user)[:2000],
        hosts=selectors.hosts_for(user),
        posts=selectors.village_posts(user, vacant_only=True),
    )


@require_http_methods(["GET", "POST"])
@forces_view
def new_deployment(request):
    user = request.user
    if not _may_create(user):
        raise Forbidden(_("Only the district or a unit's leader sends cadres."))
    initial = {"starts_on": timezone.localdate(), "cadre": request.GET.get("cadre", "")}
    form = _deployment_form(user, request.POST or None, initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            deployment, exc = _act(
                request,
                actions.do_create_deployment,
                cadre_id=d["cadre"],
                mode=d["mode"],
                host_code=d["host"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                post=d["post"],
                duties=d["duties"],
                host_enterprise=d["host_enterprise"],
                village_post_id=d["village_post"] or None,
            )
            if exc is None:
                messages.success(request, _("Deployment recorded."))
                return redirect("forces:deployment_detail", deployment.pk)
            _field_errors(form, exc)
            status = exc.status
        else:
            status = 400
    response = render(request, "forces/deployment_form.html", {"form": form})
    response.status_code = status
    return response


FIELD_ALIASES = {"host_code": "host", "cadre_id": "cadre", "village_post_id": "village_post"}


def _field_errors(form, exc: DomainError) -> None:
    """Each field the action named gets the message; the rest on top."""
    placed = False
    for key in exc.fields:
        name = FIELD_ALIASES.get(key, key)
        if name in form.fields:
            form.add_error(name, exc.page_fields.get(key) or _in_language(exc.message))
            placed = True
    if not placed:
        form.add_error(None, error_text(exc))


def _deployment_page(request, deployment, *, task_form=None, end_form=None, status=200):
    user = request.user
    commands = access.commands_host(user, deployment.host)
    street = access.street_of(deployment.host)
    ctx = {
        "d": deployment,
        "tasks": deployment.tasks.select_related("demand", "whistle").prefetch_related("notes"),
        "presence": deployment.presence_logs.all()[:31],
        "presence_count": deployment.presence_logs.count(),
        "may_assign": commands and deployment.is_active_on(timezone.localdate()),
        "may_end": access.may_end(user, deployment) and deployment.ends_on is None,
        "end_form": end_form or EndForm(),
    }
    if ctx["may_assign"]:
        ctx["task_form"] = task_form or TaskForm(
            demands=Demand.objects.filter(street=street, state=DemandState.SELF_HANDLING).order_by(
                "-received_at"
            )[:200],
            whistles=Whistle.objects.filter(street=street)
            .exclude(state=WhistleState.CLOSED)
            .select_related("matter")
            .order_by("-blown_at")[:200],
        )
    response = render(request, "forces/deployment_detail.html", ctx)
    response.status_code = status
    return response


@require_GET
@forces_view
def deployment_detail(request, pk: int):
    return _deployment_page(request, access.access_deployment(request.user, pk))


@require_POST
@forces_view
def end_deployment(request, pk: int):
    deployment = access.access_deployment(request.user, pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        return _deployment_page(request, deployment, end_form=form, status=form_errors(request, form))
    _result, exc = _act(
        request,
        actions.do_end_deployment,
        deployment_id=pk,
        ends_on=form.cleaned_data["ends_on"],
        note=form.cleaned_data["note"],
    )
    if exc is not None:
        messages.error(request, error_text(exc))
        return _deployment_page(
            request, access.access_deployment(request.user, pk), end_form=form, status=exc.status
        )
    messages.success(request, _("Deployment ended."))
    return redirect("forces:deployment_detail", pk)


@require_POST
@forces_view
def assign_task(request, pk: int):
    deployment = access.access_deployment(request.user, pk)
    street = access.street_of(deployment.host)
    form = TaskForm(
        request.POST,
        demands=Demand.objects.filter(street=street, state=DemandState.SELF_HANDLING),
        whistles=Whistle.objects.filter(street=street).exclude(state=WhistleState.CLOSED),
    )
    if not form.is_valid():
        return _deployment_page(request, deployment, task_form=form, status=form_errors(request, form))
    d = form.cleaned_data
    _task, exc = _act(
        request,
        actions.do_assign_task,
        deployment_id=pk,
        title=d["title"],
        details=d["details"],
        demand_id=d["demand"] or None,
        whistle_id=d["whistle"] or None,
    )
    if exc is not None:
        _field_errors(form, exc)
        return _deployment_page(request, deployment, task_form=form, status=exc.status)
    messages.success(request, _("Task given."))
    return redirect("forces:deployment_detail", pk)


# --- the cadre's own page (mobile) -----------------------------------------------------------------------


@require_GET
@forces_view(staff=False)
def my_page(request, form=None, status=200):
    user = request.user
    cadre = access.cadre_of(user)
    running = list(access.active_deployments_of(user)) if cadre else []
    logs = selectors.presence_this_month(user, cadre) if cadre else []
    today = timezone.localdate()
    ctx = {
        "cadre": cadre,
        "running": running,
        "today_log": next((log for log in logs if log.day == today), None),
        "logs": logs,
        "tasks": selectors.my_tasks(user)[:50] if cadre else [],
        "form": form or PresenceForm(),
    }
    response = render(request, "forces/me.html", ctx)
    response.status_code = status
    return response


@require_POST
@forces_view(staff=False)
def log_presence(request):
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return my_page.__wrapped__(request, form=form, status=form_errors(request, form))
    result, exc = _act(request, actions.do_log_presence, note=form.cleaned_data["note"])
    if exc is not None:
        messages.error(request, error_text(exc))
        return my_page.__wrapped__(request, form=form, status=exc.status)
    _log, created = result
    messages.success(
        request, _("Present today: recorded.") if created else _("Already recorded today; note added.")
    )
    return redirect("forces:me")


def _task_page(request, task, *, note_form=None, finish_form=None, status=200):
    user = request.user
    own = task.deployment.cadre.user_id == user.pk
    active = task.deployment.is_active_on(timezone.localdate())
    ctx = {
        "task": task,
        "notes": task.notes.select_related("author"),
        "may_work": own and active and task.state == TaskState.OPEN,
        "note_form": note_form or NoteForm(),
        "finish_form": finish_form or FinishForm(),
        "demand": task.demand,
    }
    response = render(request, "forces/task_detail.html", ctx)
    response.status_code = status
    return response


@require_GET
@forces_view(staff=False)
def task_detail(request, pk: int):
    return _task_page(request, access.access_task(request.user, pk))


def _task_action(request, pk, form, do, success, key):
    task = access.access_task(request.user, pk)
    if not form.is_valid():
        return _task_page(request, task, **{key: form}, status=form_errors(request, form))
    _r, exc = _act(request, do, task_id=pk, note=form.cleaned_data["note"])
    if exc is not None:
        add_action_error(form, exc)
        messages.error(request, error_text(exc))
        return _task_page(request, access.access_task(request.user, pk), **{key: form}, status=exc.status)
    messages.success(request, success)
    return redirect("forces:task_detail", pk)


@require_POST
@forces_view(staff=False)
def task_note(request, pk: int):
    return _task_action(
        request, pk, NoteForm(request.POST), actions.do_task_note, _("Progress recorded."), "note_form"
    )


@require_POST
@forces_view(staff=False)
def finish_task(request, pk: int):
    return _task_action(
        request, pk, FinishForm(request.POST), actions.do_finish_task, _("Task done."), "finish_form"
    )


@require_GET
@forces_view
def host_tasks(request):
    state = request.GET.get("state", "")
    return render(
        request,
        "forces/host_tasks.html",
        {
            "page": paginate(request, selectors.host_tasks(request.user, state=state), 25),
            "state": state,
            "states": TaskState.choices,
        },
    )


# --- quotas, reserve pool, posts --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@forces_view
def quotas(request):
    user = request.user
    scope = scope_of(user)
    may_set = scope.is_district or scope.has_role("unit_leader")
    form = QuotaForm(request.POST or None, units=units_for(user)) if may_set else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Forbidden(_("Only the district or a unit's leader sets quotas."))
        if form.is_valid():
            d = form.cleaned_data
            _q, exc = _act(
                request,
                actions.do_set_quota,
                unit_code=d["unit"],
                staff=d["staff"],
                share=d["share"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                note=d["note"],
            )
            if exc is None:
                messages.success(request, _("Quota recorded."))
                return redirect("forces:quotas")
            _field_errors(form, exc)
            status = exc.status
        else:
            status = 400
    page = paginate(request, selectors.quotas_for(user), 25)
    rows = [selectors.quota_fulfilment(q) for q in page]
    response = render(request, "forces/quotas.html", {"rows": rows, "page": page, "form": form})
    response.status_code = status
    return response


@require_GET
@forces_view
def reserve(request):
    skill = request.GET.get("skill", "").strip()
    q = request.GET.get("q", "").strip()
    free = request.GET.get("free") == "1"
    qs = selectors.reserve_pool(request.user, skill=skill, q=q, free=free)
    return render(
        request,
        "forces/reserve.html",
        {
            "page": paginate(request, qs, 30),
            "skill": skill,
            "q": q,
            "free": free,
            "skills": selectors.skill_counts(request.user),
            "may_create": _may_create(request.user) and scope_of(request.user).is_district,
        },
    )


@require_GET
@forces_view
def posts(request):
    vacant = request.GET.get("vacant") == "1"
    rows = selectors.village_posts(request.user, vacant_only=vacant, street=request.GET.get("street", ""))
    all_rows = rows if not vacant else selectors.village_posts(request.user)
    return render(
        request,
        "forces/posts.html",
        {
            "page": paginate(request, rows, 30),
            "vacant": vacant,
            "filled": sum(1 for r in all_rows if r["deployment"]),
            "total": len(all_rows),
            "may_create": _may_create(request.user),
        },
    )


# --- assessments ------------------------------------------------------------------------------------------


@require_GET
@forces_view
def assessments(request):
    results = selectors.assessment_results(request.user)
    scope = scope_of(request.user)
    return render(
        request,
        "forces/assessments.html",
        {
            "page": paginate(request, results["rounds"], 20),
            "per_unit": results["per_unit"],
            "may_create": scope.is_district or scope.has_role("street_dispatcher", "street_leader"),
        },
    )


def _assessment_rows(request):
    assessors = [
        {
            "name": request.POST.get(f"assessor_name_{i}", "").strip(),
            "kind": request.POST.get(f"assessor_kind_{i}", ""),
        }
        for i in range(ASSESSOR_ROWS)
    ]
    # The action numbers the rows it gets; `rows` maps those numbers back to the form's rows, so an error
    # stands by the row typed even with an empty row above it.
    rows = [i for i, a in enumerate(assessors) if a["name"] or a["kind"]]
    assessors = [assessors[i] for i in rows]
    scores = []
    for key, value in request.POST.items():
        if key.startswith("score_") and value.strip():
            pk = key.removeprefix("score_")
            scores.append(
                {"deployment": pk, "score": value.strip(), "comment": request.POST.get(f"comment_{pk}", "")}
            )
    return assessors, scores, rows


def _form_row(key: str, rows: list[int]) -> str:
    """`assessors[j].name` of the action → `assessors[i].name` of the form's row i."""
    if key.startswith("assessors[") and "]" in key:
        j, rest = key.removeprefix("assessors[").split("]", 1)
        if j.isdigit() and int(j) < len(rows):
            return f"assessors[{rows[int(j)]}]{rest}"
    return key


@require_http_methods(["GET", "POST"])
@forces_view
def new_assessment(request):
    user = request.user
    data = request.POST if request.method == "POST" else (request.GET if request.GET.get("host") else None)
    today = timezone.localdate()
    form = AssessmentForm(
        data,
        hosts=selectors.hosts_for(user),
        initial={
            "starts_on": today.replace(day=1),
            "ends_on": today,
            "title": _("Assessment of deployed cadres"),
        },
    )
    cadres, errors, status = [], {}, 200
    if data is not None and form.is_valid():
        d = form.cleaned_data
        host = next((h for h in selectors.hosts_for(user) if h.code == d["host"]), None)
        if host is not None and d["ends_on"] >= d["starts_on"]:
            cadres = selectors.assessable_deployments(user, host, d["starts_on"], d["ends_on"])
        if request.method == "POST":
            assessors, scores, typed_rows = _assessment_rows(request)
            round_, exc = _act(
                request,
                actions.do_create_assessment,
                host_code=d["host"],
                title=d["title"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                assessors=assessors,
                scores=scores,
            )
            if exc is None:
                messages.success(request, _("Assessment recorded."))
                return redirect("forces:assessment_detail", round_.pk)
            errors, status = exc.page_fields, exc.status
            errors = {_form_row(k, typed_rows): v for k, v in errors.items()}
            # The panel's and the scores' errors stand by their fieldsets; the bar names the others.
            rest = [v for k, v in errors.items() if k not in ("assessors", "scores") and "[" not in k]
            head = _in_language(exc.message)
            messages.error(
                request,
                _("%(message)s: %(details)s") % {"message": head, "details": " ".join(rest)}
                if rest
                else head,
            )
    elif request.method == "POST":
        status = form_errors(request, form)
    for d in cadres:  # what was typed stays on the form after a refusal
        d.score_value = request.POST.get(f"score_{d.pk}", "")
        d.comment_value = request.POST.get(f"comment_{d.pk}", "")
    rows = [
        {
            "i": i,
            "name": request.POST.get(f"assessor_name_{i}", ""),
            "kind": request.POST.get(f"assessor_kind_{i}", ""),
            "error": errors.get(f"assessors[{i}].name") or errors.get(f"assessors[{i}].kind"),
        }
        for i in range(ASSESSOR_ROWS)
    ]
    response = render(
        request,
        "forces/assessment_form.html",
        {
            "form": form,
            "cadres": cadres,
            "assessor_rows": rows,
            "kinds": ASSESSOR_KIND_CHOICES,
            "errors": errors,
            "assessors_error": errors.get("assessors"),
            "scores_error": errors.get("scores"),
            "posted": request.POST,
        },
    )
    response.status_code = status
    return response


@require_GET
@forces_view
def assessment_detail(request, pk: int):
    return render(
        request,
        "forces/assessment_detail.html",
        selectors.round_detail(access.access_round(request.user, pk)),
    )


# --- reports -----------------------------------------------------------------------------------------------


def _report_period(request) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = today.replace(day=1)
    try:
        last = dt.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        last = today
    if last < first:
        first, last = last, first
    if (last - first).days > 366:
        first = last - dt.timedelta(days=366)
    return first, last


@require_GET
@forces_view
def reports(request):
    user = request.user
    first, last = _report_period(request)
    report = exports.build_report(user, first, last)
    charts = {
        "modes": [{"name": str(r["label"]), "value": r["count"]} for r in report["coverage"]["by_mode"]],
        "streets": [
            {
                "name": r["street"].name,
                "count": next(
                    (c["count"] for c in report["coverage"]["by_street"] if c["street"] == r["street"]), 0
                ),
                "rate": round(r["rate"] * 100, 1) if r["rate"] is not None else None,
            }
            for r in report["presence"]["by_street"]
        ],
    }
    return render(
        request,
        "forces/reports.html",
        {**report, "charts": charts, "first": first, "last": last, "modes": DeploymentMode.choices},
    )


@require_GET
@forces_view
def reports_xlsx(request):
    first, last = _report_period(request)
    return exports.xlsx_response(request.user, first, last)
