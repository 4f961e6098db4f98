"""Key-task pages: the lists (areas → measures), a task's page with progress reporting, the new-task form,
the month's topic candidates and the choice, a topic's page with its before/after chart, and the
accountability list and record (district only). Views parse → access → do → render; rules are in actions."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shaobao.core import audit
from shaobao.intake.views import done, paginate, perform, web_view
from shaobao.keytasks import access, actions, selectors, topics
from shaobao.keytasks.models import Decision, KeyTaskState, ReferralKind, ReferralState
from shaobao.org.scoping import units_for


def action_labels() -> dict[str, str]:
    """Readable names of the audit actions and workflow rows shown on these pages."""
    return {
        "key_task_created": _("created"),
        "key_task_progress": _("progress reported"),
        "key_task_deadline_moved": _("deadline moved"),
        "key_task_warning": _("deadline warning"),
        "key_task_overdue": _("supervision order: overdue"),
        "key_task_escalation": _("escalated to the district"),
        "topic_chosen": _("picked as the month's topic"),
        "referred": _("referred for accountability"),
        "decided": _("decision recorded"),
        "outcome": _("outcome recorded"),
        "order_warning": _("warning"),
        "order_supervision": _("supervision order"),
        "order_escalation": _("escalation"),
        "progress_report": _("progress reported"),
        "deadline": _("deadline"),
        "finish_due": _("finish deadline"),
    }


def _label(action: str, labels: dict) -> str:
    return labels.get(action, _("step recorded"))


def _timeline(subject) -> list[dict]:
    labels = action_labels()
    return [{"at": e.at, "label": _label(e.action, labels), "actor": e.actor} for e in audit.history(subject)]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- key-task lists --------------------------------------------------------------------------------


@web_view
def task_list(request):
    user = request.user
    g = request.GET
    filters = {
        "q": g.get("q", "").strip(),
        "area": _int(g.get("area")),
        "unit": g.get("unit", "").strip(),
        "state": g.get("state", ""),
        "mine": g.get("mine") == "1",
    }
    base = selectors.key_tasks_for(user)
    tasks = selectors.filter_key_tasks(base, user=user, **filters).order_by("area__number", "number", "id")
    now = timezone.now()
    areas = list(
        selectors.areas_for(user).annotate(
            n=Count("tasks"),
            done=Count("tasks", filter=Q(tasks__state=KeyTaskState.DONE)),
            overdue=Count("tasks", filter=Q(tasks__state=KeyTaskState.OPEN, tasks__deadline__lte=now)),
        )
    )
    context = {
        "page": paginate(request, tasks, 20),
        "areas": areas,
        "filters": filters,
        "units": units_for(user),
        "states": [("open", _("in progress")), ("done", _("completed")), ("overdue", _("overdue"))],
        "now": now,
        "is_district": access.is_district(user),
        "board": selectors.board_panel(user, now=now),
    }
    return render(request, "keytasks/task_list.html", context)


def _task_page(request, task, status=200):
    user = request.user
    unit_id, leads = access.reporting_unit(user, task)
    now = timezone.now()
    context = {
        "task": task,
        "milestones": task.milestones.all(),
        "reports": task.reports.select_related("unit", "author", "milestone"),
        "orders": task.orders.all(),
        "participating": task.participating_units.all(),
        "may_report": unit_id is not None and task.state == KeyTaskState.OPEN,
        "leads": leads,
        "is_district": access.is_district(user),
        "overdue": task.is_overdue(now),
        "history": _timeline(task),
        "topic": getattr(task, "topic", None) if hasattr(task, "topic") else None,
        "referral": task.referrals.first(),
        "today": timezone.localdate(),
    }
    return render(request, "keytasks/task_detail.html", context, status=status)


@web_view
def task_detail(request, pk: int):
    return _task_page(request, access.access_key_task(request.user, pk))


@web_view
@require_POST
def report_progress(request, pk: int):
    task = access.access_key_task(request.user, pk)
    p = request.POST
    percent = p.get("percent", "").strip()
    _r, status = perform(
        request,
        actions.do_report_progress,
        key_task_id=task.pk,
        note=p.get("note", ""),
        percent=_int(percent) if percent != "" else None,
        milestone=_int(p.get("milestone")) or None,
    )
    url = reverse("keytasks:detail", args=[task.pk])
    return done(request, status, url, _("Progress reported."), lambda: _task_page(request, task))


@web_view
@require_POST
def extend(request, pk: int):
    task = access.access_key_task(request.user, pk)
    _r, status = perform(
        request, actions.do_extend_deadline, key_task_id=task.pk, deadline=request.POST.get("deadline", ""),
        reason=request.POST.get("reason", ""),
    )  # fmt: skip
    url = reverse("keytasks:detail", args=[task.pk])
    return done(request, status, url, _("Deadline moved."), lambda: _task_page(request, task))


@web_view
@require_http_methods(["GET", "POST"])
def task_new(request):
    access.require_district(request.user)
    values = {"title": "", "area": "", "number": "", "lead_unit": "", "participating_units": [],
              "deadline": "", "description": "", "milestones": ""}  # fmt: skip
    status = 200
    if request.method == "POST":
        p = request.POST
        values = {k: p.get(k, "") for k in values}
        values["participating_units"] = p.getlist("participating_units")
        milestones = []
        for line in values["milestones"].splitlines():
            title, _sep, due = line.partition("|")
            if title.strip():
                milestones.append((title.strip(), due.strip()))
        task, status = perform(
            request, actions.do_create_key_task, title=values["title"], lead_unit=values["lead_unit"],
            participating_units=values["participating_units"], deadline=values["deadline"],
            area=_int(values["area"]), number=values["number"], description=values["description"],
            milestones=milestones,
        )  # fmt: skip
        if status == 200:
            return done(
                request, 200, reverse("keytasks:detail", args=[task.pk]), _("Key task created."), None
            )
    context = {"values": values, "areas": selectors.areas_for(request.user), "units": units_for(request.user)}
    return render(request, "keytasks/task_new.html", context, status=status)


# --- monthly topics --------------------------------------------------------------------------------


def _month_param(request) -> str:
    month = request.GET.get("month") or request.POST.get("month") or topics.last_month(timezone.now())
    try:
        topics.month_bounds(month)
    except ValueError:
        month = topics.last_month(timezone.now())
    return month


@web_view
def topic_candidates(request):
    access.require_district(request.user)
    from shaobao.org.scoping import district_of

    month = _month_param(request)
    district = district_of(request.user)
    result = topics.compute(district, month) if district else None
    chosen = list(selectors.topics_for(request.user).filter(month=month))
    if result:
        selectors.mark_chosen(result.frequent + result.rising, chosen)
    chart = {
        "frequent": [{"name": f"{c.place} {c.matter}", "count": c.count, "avg": round(c.previous_average, 1)}
                     for c in (result.frequent if result else [])],
    }  # fmt: skip
    previous = topics.month_label(topics.month_bounds(month, -1)[0])
    following = topics.month_label(topics.month_bounds(month, 1)[0])
    context = {"month": month, "result": result, "chosen": chosen, "chart": chart,
               "previous": previous, "following": following,
               "topics": selectors.topics_for(request.user)[:50]}  # fmt: skip
    return render(request, "keytasks/topics.html", context)


@web_view
@require_http_methods(["GET", "POST"])
def topic_choose(request):
    access.require_district(request.user)
    src = request.POST if request.method == "POST" else request.GET
    keys = ("month", "matter", "street", "community", "grid", "lead_unit", "measures", "deadline", "title",
            "place", "matter_name")  # fmt: skip
    values = {k: src.get(k, "") for k in keys}
    values["participating_units"] = src.getlist("participating_units")
    status = 200
    if request.method == "POST":
        topic, status = perform(
            request, actions.do_choose_topic, month=values["month"], matter=values["matter"],
            street=values["street"], community=values["community"] or None, grid=values["grid"] or None,
            lead_unit=values["lead_unit"], participating_units=values["participating_units"],
            measures=values["measures"], deadline=values["deadline"], title=values["title"],
        )  # fmt: skip
        if status == 200:
            url = reverse("keytasks:topic", args=[topic.pk])
            return done(request, 200, url, _("The topic is now a key task."), None)
    if not values["lead_unit"] and values["matter"]:
        from shaobao.duties.models import Matter

        m = (
            Matter.objects.filter(code=values["matter"])
            .select_related("lead_unit")
            .order_by("-duty_list__version")
            .first()
        )
        values["lead_unit"] = m.lead_unit.code if m and m.lead_unit_id else ""
    context = {"values": values, "units": units_for(request.user)}
    return render(request, "keytasks/topic_choose.html", context, status=status)


@web_view
def topic_detail(request, pk: int):
    topic = access.access_topic(request.user, pk)
    series = topics.before_after(topic)
    rows = list(zip(series["months"], series["counts"], strict=True))
    context = {"topic": topic, "task": topic.key_task, "series": series, "series_rows": rows}
    return render(request, "keytasks/topic_detail.html", context)


# --- accountability --------------------------------------------------------------------------------


@web_view
def referral_list(request):
    access.require_district(request.user)
    g = request.GET
    qs = selectors.referrals_for(
        request.user, state=g.get("state", ""), kind=g.get("kind", ""), q=g.get("q", "").strip()
    )
    context = {
        "page": paginate(request, qs, 20),
        "states": ReferralState.choices,
        "kinds": ReferralKind.choices,
        "filters": {"state": g.get("state", ""), "kind": g.get("kind", ""), "q": g.get("q", "")},
    }
    return render(request, "keytasks/referral_list.html", context)


def _referral_page(request, referral, status=200):
    labels = action_labels()
    facts = [
        {
            **f,
            "label": _label(f["action"], labels),
            "at": dt.datetime.fromisoformat(f["at"]) if f["at"] else None,
        }
        for f in referral.facts
    ]
    context = {"referral": referral, "decisions": Decision.choices, "facts": facts}
    return render(request, "keytasks/referral_detail.html", context, status=status)


@web_view
def referral_detail(request, pk: int):
    return _referral_page(request, access.access_referral(request.user, pk))


@web_view
@require_POST
def refer(request):
    access.require_district(request.user)
    p = request.POST
    referral, status = perform(
        request, actions.do_refer, kind=p.get("kind", ""), reason=p.get("reason", ""),
        supervision_order=_int(p.get("supervision_order")), key_task=_int(p.get("key_task")),
        whistle=_int(p.get("whistle")),
    )  # fmt: skip
    if status == 200:
        return done(
            request,
            200,
            reverse("keytasks:referral", args=[referral.pk]),
            _("Referred for accountability."),
            None,
        )
    # The error is in the messages; back to where the referral was asked for.
    back = (
        reverse("keytasks:detail", args=[p["key_task"]])
        if _int(p.get("key_task"))
        else reverse("keytasks:referrals")
    )
    return redirect(back)


@web_view
@require_POST
def decide(request, pk: int):
    referral = access.access_referral(request.user, pk)
    _r, status = perform(
        request, actions.do_decide_referral, referral_id=referral.pk, decision=request.POST.get("decision", ""),
        note=request.POST.get("note", ""),
    )  # fmt: skip
    url = reverse("keytasks:referral", args=[referral.pk])
    return done(request, status, url, _("Decision recorded."), lambda: _referral_page(request, referral))


@web_view
@require_POST
def outcome(request, pk: int):
    referral = access.access_referral(request.user, pk)
    _r, status = perform(
        request, actions.do_record_outcome, referral_id=referral.pk, outcome=request.POST.get("outcome", "")
    )
    url = reverse("keytasks:referral", args=[referral.pk])
    return done(request, status, url, _("Outcome recorded."), lambda: _referral_page(request, referral))
