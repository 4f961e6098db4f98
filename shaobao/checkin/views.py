"""双报到 pages: organisations and members (lists and check-in), the needs board of a community, a member's own
page ("my services", phone-friendly), the grid helpers' report page, service posts and the reports.

Views only parse → act → render: each page answers GET, and a POST whose `action` names one `do_*`; a refusal
shows the page again with the error and its status (400, 403, 409), a success redirects (PRG).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shaobao.checkin import actions, grid_helpers, privacy, reports, selectors
from shaobao.checkin.access import (
    access_member,
    may_manage,
    reach,
    require_checkin_staff,
    require_checkin_user,
    visible_organisations,
)
from shaobao.checkin.forms import (
    MEMBER_KINDS,
    NEED_KINDS,
    WEEKDAYS,
    MemberFilterForm,
    NeedFilterForm,
    OrganisationFilterForm,
    PeriodForm,
)
from shaobao.checkin.models import MemberCheckin, NeedState, RecordState, ServiceRecord
from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.intake.views import done, paginate, perform
from shaobao.org.scoping import streets_for

PER_PAGE = 25


def checkin_view(view=None, *, staff: bool = False):
    """Login, then 403 for anyone who is neither staff nor a checked-in member (staff pages: staff only);
    NotFound → 404 (what the user may not see does not exist for them)."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                if staff:
                    require_checkin_staff(request.user)
                else:
                    require_checkin_user(request.user)
                return func(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except NotAuthenticated:
                return redirect_to_login(request.get_full_path())
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc

        return wrapper

    return decorate(view) if view is not None else decorate


def options(pairs, selected: str = "", *, blank: str | None = None):
    """<option>s built in one pass (a template loop costs about a millisecond per option; the pickers list
    hundreds of communities and organisations)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    head = format_html('<option value="">{}</option>', blank) if blank is not None else ""
    body = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((v, mark_safe(" selected") if str(v) == selected else "", label) for v, label in pairs),
    )
    return mark_safe(head + body)  # both parts escaped above


def _community_options(request, communities):
    return options(((c.code, c.name) for c in communities), request.POST.get("community", ""))


def _post(request, name: str, default: str = "") -> str:
    return (request.POST.get(name) or default).strip()


def _clean(form) -> dict:
    return {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}


# --- organisations -----------------------------------------------------------------------------------


@checkin_view(staff=True)
@require_http_methods(["GET", "POST"])
def organisations(request):
    user = request.user

    def page():
        form = OrganisationFilterForm(
            request.GET or None, streets=streets_for(user), communities=selectors.communities_for(user)
        )
        qs = selectors.organisations_for(user, **_clean(form))
        return render(
            request,
            "checkin/organisations.html",
            {
                "form": form,
                "page": paginate(request, qs, PER_PAGE),
                "managed": _community_options(request, selectors.managed_communities(user)),
            },
        )

    if request.method == "POST":
        _result, status = perform(
            request,
            actions.do_check_in_organisation,
            community_code=_post(request, "community"),
            name=_post(request, "name"),
            unit_code=_post(request, "unit") or None,
            skills=_post(request, "skills"),
            resources=_post(request, "resources"),
            contact=_post(request, "contact"),
        )
        return done(
            request, status, reverse("checkin:organisations"), _("The organisation is checked in."), page
        )
    return page()


# --- members ---------------------------------------------------------------------------------------


@checkin_view(staff=True)
@require_http_methods(["GET", "POST"])
def members(request):
    user = request.user

    def page():
        form = MemberFilterForm(
            request.GET or None,
            streets=streets_for(user),
            communities=selectors.communities_for(user),
            organisations=visible_organisations(user).only("pk", "name").order_by("name")[:500],
        )
        filters = _clean(form)
        qs = selectors.members_for(user, **filters)
        if filters.get("q"):
            page_ = selectors.SearchPaginator(qs, PER_PAGE).get_page(request.GET.get("page"))
        else:
            page_ = selectors.IdsFirstPaginator(qs, PER_PAGE).get_page(request.GET.get("page"))
        rows = selectors.with_service_totals(list(page_.object_list))
        for m in rows:
            m.contact = privacy.member_contact(user, m)
        return render(
            request,
            "checkin/members.html",
            {
                "form": form,
                "page": page_,
                "rows": rows,
                "managed": _community_options(request, selectors.managed_communities(user)),
                "organisations": options(
                    visible_organisations(user).order_by("name").values_list("pk", "name")[:500],
                    request.POST.get("organisation", ""),
                    blank="—",
                ),
                "kinds": MEMBER_KINDS,
            },
        )

    if request.method == "POST":
        _result, status = perform(
            request,
            actions.do_check_in_member,
            community_code=_post(request, "community"),
            name=_post(request, "name"),
            phone=_post(request, "phone"),
            kind=_post(request, "kind", "party_member"),
            organisation_id=_post(request, "organisation") or None,
            employer=_post(request, "employer"),
            skills=_post(request, "skills"),
            resources=_post(request, "resources"),
            username=_post(request, "username") or None,
        )
        return done(request, status, reverse("checkin:members"), _("The member is checked in."), page)
    return page()


@checkin_view
@require_http_methods(["GET", "POST"])
def member_detail(request, pk: int):
    user = request.user
    member = access_member(user, pk)
    revealed = None

    def page():
        records = ServiceRecord.objects.filter(member=member).select_related("need", "community")
        selectors.with_service_totals([member])
        return render(
            request,
            "checkin/member_detail.html",
            {
                "member": member,
                "contact": revealed or privacy.member_contact(user, member),
                "records": paginate(request, records.order_by("-served_on", "-id"), 20),
                "shifts": member.shifts.select_related("post").order_by("weekday", "starts_at"),
                "may_manage": may_manage(user, member.community),
            },
        )

    if request.method == "POST":
        action = _post(request, "action")
        if action == "reveal":
            revealed, status = perform(
                request, lambda actor: privacy.member_contact(actor, member, reveal=True, purpose="contact")
            )
            response = page()
            response.status_code = status
            return response
        if action in ("deactivate", "activate"):
            _r, status = perform(
                request, actions.do_set_member_active, member_id=member.pk, active=action == "activate"
            )
            return done(request, status, reverse("checkin:member", args=[member.pk]), _("Saved."), page)
        return HttpResponse(status=400)
    return page()


# --- needs board -----------------------------------------------------------------------------------


def _record_kwargs(request) -> dict:
    return {
        "what": _post(request, "what"),
        "hours": _post(request, "hours"),
        "served_on": _post(request, "served_on") or None,
        "confirmation_code": _post(request, "confirmation_code"),
        "need_id": _post(request, "need") or None,
        "member_id": _post(request, "member") or None,
    }


def _demand_id(user, value: str):
    """The demand field takes a tracking code (what staff know) or a demand's number."""
    if not value or value.isdigit():
        return value or None
    from shaobao.intake.models import Demand

    found = (
        Demand.objects.visible_to(user)
        .filter(tracking_code=value.upper())
        .values_list("pk", flat=True)
        .first()
    )
    return found or -1


def _need_action(request):
    """The POST actions shared by the needs board and the member's page: (result, status)."""
    action = _post(request, "action")
    if action == "publish":
        return perform(
            request,
            actions.do_publish_need,
            community_code=_post(request, "community"),
            title=_post(request, "title"),
            kind=_post(request, "kind", "service_task"),
            description=_post(request, "description"),
            skills=_post(request, "skills"),
            places=_post(request, "places", "1"),
            due_on=_post(request, "due_on") or None,
            demand_id=_demand_id(request.user, _post(request, "demand")),
        ), _("The need is published.")
    if action == "take":
        return perform(
            request,
            actions.do_take_need,
            need_id=_post(request, "need"),
            member_id=_post(request, "member") or None,
        ), _("You have taken the need.")
    if action == "record":
        return perform(request, actions.do_record_service, **_record_kwargs(request)), _(
            "The service is recorded."
        )
    if action in ("confirm", "reject"):
        return perform(
            request,
            actions.do_confirm_service,
            record_id=_post(request, "record"),
            confirmed=action == "confirm",
        ), _("Saved.")
    if action == "close":
        return perform(request, actions.do_close_need, need_id=_post(request, "need")), _(
            "The need is closed."
        )
    return (None, 400), ""


@checkin_view
@require_http_methods(["GET", "POST"])
def needs(request):
    user = request.user
    if not require_checkin_user(user).is_staff:
        # A member's board is their own page.
        if request.method == "GET":
            from django.shortcuts import redirect

            return redirect("checkin:me")
        require_checkin_staff(user)

    def page():
        communities = selectors.communities_for(user)
        form = NeedFilterForm(request.GET or None, communities=communities)
        filters = _clean(form)
        qs = selectors.needs_for(user, **filters)
        page_ = paginate(request, qs, 20)
        rows = list(page_.object_list)
        takings = {}
        from shaobao.checkin.models import NeedTaking

        for t in NeedTaking.objects.filter(need__in=rows).select_related("member__community"):
            takings.setdefault(t.need_id, []).append(t.member)
        for n in rows:
            n.members = takings.get(n.pk, [])
            n.may_manage = may_manage(user, n.community)
            for m in n.members:
                m.shown_name = privacy.display_name(user, m)
        pending = selectors.records_for(
            user, community=filters.get("community", ""), state=RecordState.RECORDED
        )
        pending = list(pending[:50])
        for r in pending:
            r.may_manage = may_manage(user, r.community)
            r.shown_name = privacy.display_name(user, r.member)
        return render(
            request,
            "checkin/needs.html",
            {
                "form": form,
                "page": page_,
                "rows": rows,
                "pending": pending,
                "managed": _community_options(request, selectors.managed_communities(user)),
                "kinds": NEED_KINDS,
                "open": NeedState.OPEN,
            },
        )

    if request.method == "POST":
        (_result, status), success = _need_action(request)
        url = reverse("checkin:needs") + (f"?{request.GET.urlencode()}" if request.GET else "")
        return done(request, status, url, success, page)
    return page()


# --- the member's own page -------------------------------------------------------------------------


@checkin_view
@require_http_methods(["GET", "POST"])
def me(request):
    user = request.user

    def page():
        mine = selectors.my_member_rows(user)
        selectors.with_service_totals(mine)
        services = ServiceRecord.objects.filter(member__in=mine).select_related("need", "community")
        return render(
            request,
            "checkin/me.html",
            {
                "mine": mine,
                "open_needs": selectors.open_needs_for_member(user)[:30],
                "taken": selectors.taken_needs_for_member(user)[:30],
                "services": paginate(request, services.order_by("-served_on", "-id"), 10),
                "reports": grid_helpers.reports_of(user)[:10],
                "may_report": grid_helpers.may_report(user),
                "shifts": selectors.PostShift.objects.filter(member__in=mine)
                .select_related("post")
                .order_by("weekday", "starts_at"),
            },
        )

    if request.method == "POST":
        if _post(request, "action") not in ("take", "record"):
            return HttpResponse(status=400)
        (_result, status), success = _need_action(request)
        return done(request, status, reverse("checkin:me"), success, page)
    return page()


@checkin_view
@require_http_methods(["GET", "POST"])
def report(request):
    """The grid helpers' report page (phone first): what a courier, rider or driver saw."""
    user = request.user
    if not grid_helpers.may_report(user):
        raise PermissionDenied(
            _("Only checked-in couriers, delivery riders and ride-hailing drivers report here.")
        )
    values = {k: _post(request, k) for k in ("subject", "body", "address", "lat", "lng")}

    def page():
        return render(request, "checkin/report.html", {"values": values})

    if request.method == "POST":
        demand, status = perform(
            request,
            grid_helpers.do_report_as_grid_helper,
            subject=values["subject"],
            body=values["body"],
            address=values["address"],
            lat=values["lat"] or None,
            lng=values["lng"] or None,
            photos=request.FILES.getlist("photos"),
        )
        success = _("Thank you. Your report %(code)s has been received.") % {
            "code": getattr(demand, "tracking_code", "")
        }
        return done(request, status, reverse("checkin:me"), success, page)
    return page()


# --- service posts ---------------------------------------------------------------------------------


@checkin_view
@require_http_methods(["GET", "POST"])
def posts(request):
    user = request.user
    community = request.GET.get("community", "")

    def page():
        rows = selectors.schedule_of(user, community=community)
        for p in rows:
            p.may_manage = may_manage(user, p.community)
            for s in p.shift_list:
                s.shown_name = privacy.display_name(user, s.member)
            p.candidates = (
                MemberCheckin.objects.filter(community=p.community, is_active=True).only(
                    "pk", "name", "user_id"
                )[:300]
                if p.may_manage
                else []
            )
        return render(
            request,
            "checkin/posts.html",
            {
                "posts": rows,
                "communities": selectors.communities_for(user),
                "community": community,
                "community_options": options(
                    ((c.code, c.name) for c in selectors.communities_for(user)), community
                ),
                "managed": _community_options(request, selectors.managed_communities(user)),
                "weekdays": WEEKDAYS,
                "member_only": not reach(user).is_staff,
            },
        )

    if request.method == "POST":
        action = _post(request, "action")
        if action == "add_post":
            (_r, status), success = (
                perform(
                    request,
                    actions.do_add_post,
                    community_code=_post(request, "community"),
                    name=_post(request, "name"),
                    address=_post(request, "address"),
                    services=_post(request, "services"),
                ),
                _("The service post is added."),
            )
        elif action == "add_shift":
            (_r, status), success = (
                perform(
                    request,
                    actions.do_add_shift,
                    post_id=_post(request, "post"),
                    member_id=_post(request, "member"),
                    weekday=_post(request, "weekday"),
                    starts_at=_post(request, "starts_at"),
                    ends_at=_post(request, "ends_at"),
                ),
                _("The shift is added."),
            )
        elif action == "remove_shift":
            (_r, status), success = (
                perform(request, actions.do_remove_shift, shift_id=_post(request, "shift")),
                _("The shift is removed."),
            )
        else:
            return HttpResponse(status=400)
        return done(request, status, request.get_full_path(), success, page)
    return page()


# --- reports ---------------------------------------------------------------------------------------


def _period(request):
    form = PeriodForm(request.GET or None, streets=streets_for(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    period, errors = selectors.parse_period(
        data.get("date_from") and data["date_from"].isoformat(),
        data.get("date_to") and data["date_to"].isoformat(),
    )
    if errors:
        period = selectors.default_period()
    return form, period, data.get("street") or ""


@checkin_view(staff=True)
@require_GET
def report_page(request):
    form, period, street = _period(request)
    context = reports.report_context(request.user, period, street=street)
    return render(request, "checkin/reports.html", {"form": form, **context})


@checkin_view(staff=True)
@require_GET
def report_export(request):
    _form, period, street = _period(request)
    body = reports.export_xlsx(request.user, period, street=street)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"checkin-{period.first.isoformat()}-{period.last.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
