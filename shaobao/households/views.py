"""Pages of grids and households (under /grids/): grids and their figures, grid workers, households, joint-defence
groups, and in an emergency the board (polled by htmx) and the phone's tap page (taps queued offline by
households/tap.js and sent to `tap`, which is idempotent).

Views only parse → act → render; a refusal shows the page again with its status, a success redirects (PRG).
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shaobao.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from shaobao.households import access, actions, privacy, selectors
from shaobao.households.models import TapState, WorkerKind
from shaobao.intake.views import done, paginate, perform

PER_PAGE = 25
TAP_PER_PAGE = 200
BOARD_REFRESH_SECONDS = 5


def grids_view(view):
    """Login (an htmx poll after the session ended sends the page to the login), then the access errors become
    403 or 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("login")
                return response
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def _get(request, name: str) -> str:
    return (request.GET.get(name) or "").strip()


def _post(request, name: str) -> str:
    return (request.POST.get(name) or "").strip()


def _period(request):
    return selectors.period(parse_date(_get(request, "from") or "x"), parse_date(_get(request, "to") or "x"))


def _common(request) -> dict:
    r = access.reach(request.user)
    return {"reach": r, "streets": selectors.streets_for(request.user), "f": request.GET}


# --- grids ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@grids_view
def grid_list(request):
    user = request.user
    access.require_grids_viewer(user)

    def page():
        date_from, date_to = _period(request)
        pg = paginate(
            request, selectors.grids_for(user, street=_get(request, "street"), q=_get(request, "q")), PER_PAGE
        )
        figures = selectors.grid_figures(list(pg.object_list), date_from, date_to)
        rows = [(g, figures[g.pk]) for g in pg.object_list]
        managed = [g for g, _f in rows if access.manages_street(user, g.community.parent)]
        return render(
            request,
            "households/grids.html",
            {
                **_common(request),
                "page": pg,
                "rows": rows,
                "date_from": date_from,
                "date_to": date_to,
                "managed": managed,
            },
        )

    if request.method == "POST":
        _r, status = perform(
            request,
            actions.do_add_micro_grid,
            grid_code=_post(request, "grid"),
            code=_post(request, "code"),
            name=_post(request, "name"),
        )
        return done(request, status, reverse("households:grids"), _("The micro-grid is added."), page)
    return page()


@require_http_methods(["GET", "POST"])
@grids_view
def workers(request):
    user = request.user
    access.require_grids_viewer(user)

    def page():
        date_from, date_to = _period(request)
        qs = selectors.workers_for(
            user,
            street=_get(request, "street"),
            grid=_get(request, "grid"),
            kind=_get(request, "kind"),
            q=_get(request, "q"),
        )
        pg = paginate(request, qs, PER_PAGE)
        figures = selectors.worker_figures(list(pg.object_list), date_from, date_to)
        rows = [(w, figures[w.pk], access.manages_street(user, w.street)) for w in pg.object_list]
        manage_grids = [
            g for g in selectors.grids_for(user)[:500] if access.manages_street(user, g.community.parent)
        ]
        return render(
            request,
            "households/workers.html",
            {
                **_common(request),
                "page": pg,
                "rows": rows,
                "kinds": WorkerKind.choices,
                "date_from": date_from,
                "date_to": date_to,
                "manage_grids": manage_grids,
            },
        )

    if request.method == "POST":
        if _post(request, "action") == "detach":
            _r, status = perform(
                request, actions.do_detach_worker, worker_id=int(_post(request, "worker") or 0)
            )
            return done(
                request, status, reverse("households:workers"), _("The grid worker is detached."), page
            )
        _r, status = perform(
            request,
            actions.do_attach_worker,
            username=_post(request, "username"),
            grid_code=_post(request, "grid"),
            kind=_post(request, "kind"),
            micro_grid_code=_post(request, "micro_grid"),
        )
        return done(request, status, reverse("households:workers"), _("The grid worker is attached."), page)
    return page()


# --- households ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@grids_view
def households(request):
    """Street staff, grid workers, group leads: the households (masked); the district: counts per street."""
    user = request.user
    r = access.reach(user)
    if not r.sees_households:
        access.require_grids_viewer(user)  # 403 for anyone else
        return render(
            request,
            "households/counts.html",
            {**_common(request), "counts": selectors.household_counts(user)},
        )

    def page():
        qs = selectors.households_for(
            user,
            grid=_get(request, "grid"),
            group=_get(request, "group"),
            street=_get(request, "street"),
            q=_get(request, "q"),
        )
        pg = paginate(request, qs, PER_PAGE)
        rows = [(h, privacy.contact(user, h)) for h in pg.object_list]
        manage_grids = [g for g in _visible_grids(user) if access.manages_households_of(user, g)]
        return render(
            request,
            "households/households.html",
            {**_common(request), "page": pg, "rows": rows, "manage_grids": manage_grids},
        )

    if request.method == "POST":
        _r, status = perform(
            request,
            actions.do_register_household,
            grid_code=_post(request, "grid"),
            address=_post(request, "address"),
            head_name=_post(request, "head_name"),
            head_phone=_post(request, "head_phone"),
            persons=_post(request, "persons") or 1,
            group_id=_post(request, "group") or None,
        )
        return done(
            request, status, reverse("households:households"), _("The household is registered."), page
        )
    return page()


def _visible_grids(user):
    """The grids whose households the user manages (pickers of the forms)."""
    from shaobao.org.models import Grid

    r = access.reach(user)
    q = Q() if r.everything else Q(pk__in=r.grid_ids) | Q(community__parent_id__in=r.street_ids)
    return list(Grid.objects.filter(q).select_related("community__parent").order_by("code")[:500])


@require_http_methods(["GET", "POST"])
@grids_view
def household_detail(request, pk: int):
    user = request.user
    household = access.access_household(user, pk)
    contact = privacy.contact(user, household)
    status = 200
    if request.method == "POST":
        try:
            contact = privacy.contact(
                user, household, reveal=True, purpose=_post(request, "purpose") or "contact"
            )
        except DomainError as exc:
            status = exc.status
    members = (
        list(household.group.households.filter(is_active=True).order_by("address"))
        if household.group_id
        else []
    )
    response = render(
        request,
        "households/household_detail.html",
        {"household": household, "contact": contact, "members": members},
    )
    response.status_code = status
    return response


@require_http_methods(["GET", "POST"])
@grids_view
def groups(request):
    user = request.user
    access.require_household_viewer(user)

    def page():
        qs = selectors.groups_for(
            user, grid=_get(request, "grid"), street=_get(request, "street"), q=_get(request, "q")
        )
        pg = paginate(request, qs, PER_PAGE)
        manage_grids = [g for g in _visible_grids(user) if access.manages_households_of(user, g)]
        grid_code = _get(request, "grid") or (_post(request, "grid"))
        ungrouped = []
        if grid_code and any(g.code == grid_code for g in manage_grids):
            ungrouped = list(selectors.households_for(user, grid=grid_code).filter(group__isnull=True)[:200])
        return render(
            request,
            "households/groups.html",
            {
                **_common(request),
                "page": pg,
                "manage_grids": manage_grids,
                "grid_code": grid_code,
                "ungrouped": ungrouped,
            },
        )

    if request.method == "POST":
        _r, status = perform(
            request,
            actions.do_form_group,
            grid_code=_post(request, "grid"),
            name=_post(request, "name"),
            household_ids=request.POST.getlist("households"),
            lead_id=_post(request, "lead") or None,
            lead_username=_post(request, "lead_username"),
        )
        return done(
            request, status, reverse("households:groups"), _("The joint-defence group is formed."), page
        )
    return page()


# --- emergencies -------------------------------------------------------------------------------------


@require_GET
@grids_view
def broadcasts(request):
    user = request.user
    r = access.reach(user)
    if not (r.sees_grids or r.sees_households):
        raise Forbidden("仅限街乡、网格员和联防小组长 / Streets, grid workers and group leads only")
    return render(
        request, "households/broadcasts.html", {"broadcasts": selectors.reached_broadcasts(user), "reach": r}
    )


def _board_context(request, broadcast):
    return {
        "broadcast": broadcast,
        "board": selectors.board(request.user, broadcast),
        "refresh": BOARD_REFRESH_SECONDS,
        "now": timezone.now(),
    }


@require_GET
@grids_view
def board(request, pk: int):
    broadcast = selectors.reached_broadcast(request.user, pk)
    r = access.reach(request.user)
    return render(request, "households/board.html", {**_board_context(request, broadcast), "reach": r})


@require_GET
@grids_view
def board_figures(request, pk: int):
    """The board's figures, polled by htmx every few seconds."""
    broadcast = selectors.reached_broadcast(request.user, pk)
    response = render(request, "households/_board_figures.html", _board_context(request, broadcast))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@grids_view
def tap_page(request, pk: int):
    """The phone's page: one button per household and state; taps are queued in the browser and sent to `tap`."""
    user = request.user
    broadcast = selectors.reached_broadcast(user, pk)
    access.require_household_viewer(user)
    pg = paginate(
        request,
        selectors.tap_households(user, broadcast, grid=_get(request, "grid"), q=_get(request, "q")),
        TAP_PER_PAGE,
    )
    states = selectors.household_states(broadcast, [h.pk for h in pg.object_list])
    rows = [(h, states.get(h.pk, {}).get("state", ""), privacy.contact(user, h)) for h in pg.object_list]
    return render(
        request,
        "households/tap.html",
        {
            "broadcast": broadcast,
            "page": pg,
            "rows": rows,
            "states": TapState.choices,
            "reach": access.reach(user),
            "f": request.GET,
        },
    )


@require_POST
@grids_view
def tap(request, pk: int):
    """One tap, sent by tap.js (JSON or a form): {household, state, persons?, tapped_at?}. 201 when new, 200
    when it was already there (a replay), 400 naming the field, 403, 404."""
    try:
        data = (
            json.loads(request.body or b"{}") if request.content_type == "application/json" else request.POST
        )
        if not isinstance(data, dict) and not hasattr(data, "get"):
            raise ValueError
    except ValueError:
        return JsonResponse(
            {"error": {"code": "invalid", "message": "invalid JSON", "fields": {"body": "invalid"}}},
            status=400,
        )
    try:
        tap_row, created = actions.do_tap(
            actor=request.user,
            broadcast_id=pk,
            household_id=data.get("household"),
            state=data.get("state", ""),
            persons=data.get("persons"),
            tapped_at=data.get("tapped_at"),
        )
    except NotFound as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, status=404
        )
    except DomainError as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, status=exc.status
        )
    return JsonResponse(
        {
            "household": tap_row.household_id,
            "state": tap_row.state,
            "persons": tap_row.persons,
            "created": created,
        },
        status=201 if created else 200,
    )
