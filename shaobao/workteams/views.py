"""Work-team pages: the list (filters, chart), the team page (members, plan, visits, reviews and the forms
of each role), the reports with their xlsx export. Views only parse → access → do → render."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from shaobao.intake.views import done, form_errors, paginate, perform
from shaobao.org.scoping import streets_for
from shaobao.workteams import actions, exports, selectors
from shaobao.workteams.access import (
    access_team,
    can_plan,
    can_review,
    can_see_visits,
    is_district_for,
    require_team_user,
    seat_of,
)
from shaobao.workteams.forms import (
    AddMemberForm,
    CloseTeamForm,
    MeasureForm,
    MeasureStateForm,
    RemoveMemberForm,
    ReviewForm,
    TeamFilterForm,
    TeamForm,
    VisitForm,
    force_of,
)
from shaobao.workteams.models import MEASURE_STEPS, MeasureState, VillageKind, WorkTeam


def team_view(view):
    """Like intake's web_view, for staff and deployed cadres: login, 403, or 404 for what one may not see."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            require_team_user(request.user)
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


# --- list -----------------------------------------------------------------------------------------


def _filtered(request):
    form = TeamFilterForm(request.GET or None, streets=streets_for(request.user))
    teams = selectors.teams_for(request.user)
    if form.is_valid():
        data = form.cleaned_data
        teams = selectors.filter_teams(
            teams, street=data["street"], kind=data["kind"], overdue=data["overdue"], q=data["q"]
        )
    return form, teams


@team_view
@require_GET
def team_list(request):
    form, teams = _filtered(request)
    teams = selectors.with_figures(teams.filter(is_active=True)).order_by(
        "street__code", "village__code", "id"
    )
    figures = selectors.report(request.user)
    chart = {
        "kinds": [{"label": str(k["label"]), "teams": k["teams"]} for k in figures["by_kind"]],
        "streets": [
            {"name": s["name"], "teams": s["teams"], "overdue": s["review_overdue"]}
            for s in figures["streets"]
        ],
    }
    return render(
        request,
        "workteams/team_list.html",
        {
            "form": form,
            "page": paginate(request, teams, 20),
            "totals": figures["totals"],
            "chart": chart,
            "mine": list(selectors.my_teams(request.user)),
            "may_create": bool(selectors.district_prefix(request.user)),
        },
    )


# --- one team -------------------------------------------------------------------------------------


def _team_page(request, team: WorkTeam, forms: dict | None = None):
    user = request.user
    now = timezone.now()
    today = selectors.local_today(now)
    members = list(team.members.select_related("cadre", "cadre__unit").order_by("left_on", "force", "id"))
    active = [m for m in members if m.left_on is None]
    seat = seat_of(user, team)
    measures = list(team.measures.select_related("owner__cadre").order_by("state", "due_on", "id"))
    for m in measures:
        m.overdue = m.is_open and team.is_active and m.due_on < today
        m.late_days = selectors.working_days_late(m.due_on, today) if m.overdue else 0
        m.next_states = [s for s in MeasureState if s in MEASURE_STEPS[MeasureState(m.state)]] if seat else []
    show_visits = can_see_visits(user, team)
    visits = paginate(request, selectors.visits_for(user, team), 20) if show_visits else None
    forms = forms or {}
    ctx = {
        "team": team,
        "members": members,
        "seat": seat,
        "measures": measures,
        "measures_overdue": sum(1 for m in measures if m.overdue),
        "show_visits": show_visits,
        "visits": visits,
        "reviews": team.reviews.select_related("reviewer"),
        "review_overdue": selectors.is_review_overdue(team, now),
        "review_due_at": selectors.review_due_at(team),
        "can_review": can_review(user, team) and team.is_active,
        "can_plan": can_plan(user, team),
        "can_work": seat is not None and team.is_active,
        "events": audit.history(team).order_by("-at")[:20],
        "measure_form": forms.get("measure") or MeasureForm(members=active),
        "visit_form": forms.get("visit") or VisitForm(initial={"visited_on": today}),
        "review_form": forms.get("review") or ReviewForm(),
        "close_form": forms.get("close") or CloseTeamForm(),
        "may_change_members": team.is_active and is_district_for(user, team.village.code),
    }
    if ctx["may_change_members"]:
        ctx["add_member_form"] = forms.get("add_member") or AddMemberForm(
            cadres=selectors.free_cadres(team.village.code[:6])
        )
        ctx["remove_form"] = forms.get("remove_member") or RemoveMemberForm()
    return render(request, "workteams/team_detail.html", ctx)


@team_view
@require_GET
def team_detail(request, pk: int):
    return _team_page(request, access_team(request.user, pk))


def _after(request, team, status, success, forms=None):
    url = reverse("workteams:team_detail", args=[team.pk])
    return done(
        request, status, url, success, lambda: _team_page(request, access_team(request.user, team.pk), forms)
    )


@team_view
@require_POST
def add_measure(request, pk: int):
    team = access_team(request.user, pk)
    form = MeasureForm(
        request.POST, members=team.members.filter(left_on__isnull=True).select_related("cadre")
    )
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "", {"measure": form})
    d = form.cleaned_data
    _result, status = perform(
        request,
        actions.do_add_measure,
        team_id=team.pk,
        title=d["title"],
        owner_id=d["owner"],
        working_days=d["working_days"],
        detail=d["detail"],
    )
    return _after(request, team, status, _("The measure was added to the plan."), {"measure": form})


@team_view
@require_POST
def measure_state(request, pk: int, measure_id: int):
    team = access_team(request.user, pk)
    if not team.measures.filter(pk=measure_id).exists():
        raise Http404("measure")
    form = MeasureStateForm(request.POST)
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "")
    _result, status = perform(
        request, actions.do_set_measure_state, measure_id=measure_id, state=form.cleaned_data["state"]
    )
    return _after(request, team, status, _("The measure was updated."))


@team_view
@require_POST
def record_visit(request, pk: int):
    team = access_team(request.user, pk)
    form = VisitForm(request.POST)
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "", {"visit": form})
    _result, status = perform(request, actions.do_record_visit, team_id=team.pk, **form.cleaned_data)
    return _after(request, team, status, _("The visit was recorded."), {"visit": form})


@team_view
@require_POST
def record_review(request, pk: int):
    team = access_team(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "", {"review": form})
    d = form.cleaned_data
    _result, status = perform(
        request,
        actions.do_record_review,
        team_id=team.pk,
        progress=d["progress"],
        problems=d["problems"],
        next_measures=d["next_measures"],
    )
    return _after(request, team, status, _("The review was recorded."), {"review": form})


@team_view
@require_POST
def close_team(request, pk: int):
    team = access_team(request.user, pk)
    form = CloseTeamForm(request.POST)
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "", {"close": form})
    _result, status = perform(request, actions.do_close_team, team_id=team.pk, note=form.cleaned_data["note"])
    return _after(request, team, status, _("The team was withdrawn."), {"close": form})


# --- sending a team and changing its members (the district) -----------------------------------------


def in_language(message: str) -> str:
    """The active language's half of an action's "中文 / English" message."""
    zh, sep, en = message.partition(" / ")
    if not sep:
        return message
    return zh if (get_language() or "").startswith("zh") else en


def _put_on_form(form, exc, rows: dict[int, int] | None = None) -> None:
    """An action's refusal as form errors: `members.<i>.cadre` on that row's cadre, `members` (the size, the
    three forces) and anything unnamed on top, a named field on the field."""
    text = in_language(getattr(exc, "page_message", None) or exc.message)
    placed = False
    for name, _detail in (exc.fields or {}).items():
        parts = name.split(".")
        if parts[0] == "members" and len(parts) == 3 and rows is not None:
            row = rows.get(int(parts[1]))
            field = f"{'post' if parts[2] in ('post', 'force') else 'cadre'}_{row}" if row else None
        else:
            field = name if name in form.fields else None
        if field in form.fields:
            form.add_error(field, text)
            placed = True
    if not placed:
        form.add_error(None, text)


@team_view
@require_http_methods(["GET", "POST"])
def new_team(request):
    """Send a team (the district's coordinators and administrators; 403 for everyone else)."""
    prefix = selectors.district_prefix(request.user)
    if not prefix:
        raise PermissionDenied(_("Only the district sends village work teams."))
    villages = selectors.villages_of(prefix)
    cadres = selectors.free_cadres(prefix)
    form = TeamForm(
        request.POST or None,
        villages=villages,
        cadres=cadres,
        initial={"starts_on": selectors.local_today()},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            filled = form.members()
            rows = {i: row for i, (_c, _f, _p, row) in enumerate(filled)}
            try:
                team = actions.do_create_team(
                    actor=request.user,
                    village_code=d["village"],
                    kind=d["kind"],
                    name=d["name"],
                    starts_on=d["starts_on"],
                    members=[actions.MemberSpec(c, f, p) for c, f, p, _row in filled],
                )
            except (ValidationFailed, Conflict) as exc:
                _put_on_form(form, exc, rows)
                status = exc.status
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc
            else:
                messages.success(request, _("The work team was sent to the village."))
                return redirect("workteams:team_detail", pk=team.pk)
    response = render(request, "workteams/team_form.html", {"form": form})
    response.status_code = status
    return response


@team_view
@require_POST
def add_member(request, pk: int):
    team = access_team(request.user, pk)
    form = AddMemberForm(request.POST, cadres=selectors.free_cadres(team.village.code[:6]))
    if form.is_valid():
        post = form.cleaned_data["post"]
        try:
            actions.do_add_member(
                actor=request.user,
                team_id=team.pk,
                cadre_id=form.cleaned_data["cadre"],
                force=force_of(post),
                post=post,
            )
        except (ValidationFailed, Conflict) as exc:
            _put_on_form(form, exc)
            return _after(request, team, exc.status, "", {"add_member": form})
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        return _after(request, team, 200, _("The member joined the team."))
    return _after(request, team, 400, "", {"add_member": form})


@team_view
@require_POST
def remove_member(request, pk: int):
    team = access_team(request.user, pk)
    form = RemoveMemberForm(request.POST)
    if not form.is_valid():
        return _after(request, team, form_errors(request, form), "", {"remove_member": form})
    member_id = form.cleaned_data["member"]
    if not team.members.filter(pk=member_id).exists():
        raise Http404("member")
    try:
        actions.do_remove_member(actor=request.user, member_id=member_id)
    except (ValidationFailed, Conflict) as exc:
        _put_on_form(form, exc)
        return _after(request, team, exc.status, "", {"remove_member": form})
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    return _after(request, team, 200, _("The member left the team."))


# --- reports --------------------------------------------------------------------------------------


@team_view
@require_GET
def reports(request):
    figures = selectors.report(request.user)
    chart = {
        "kinds": [{"label": str(k["label"]), "villages": k["villages"]} for k in figures["by_kind"]],
        "streets": [
            {
                "name": s["name"],
                "done": s["done"],
                "overdue": s["measures_overdue"],
                "open": s["measures"] - s["done"] - s["measures_overdue"],
            }
            for s in figures["streets"]
        ],
        "cadence": [b["teams"] for b in figures["cadence"]["bands"]],
    }
    return render(
        request,
        "workteams/reports.html",
        {"figures": figures, "chart": chart, "kinds": VillageKind.choices},
    )


@team_view
@require_GET
def export_xlsx(request):
    data = exports.workbook(request.user)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="work-teams.xlsx"'
    return response
