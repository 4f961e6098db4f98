"""Pages of the powers app: the list of delegated powers (list, detail with versions, form, withdraw,
import, export) and the street's powers (notes on summonses, stationed staff, recommendations).

Views only parse → access → do → render; the rules are in `actions` and `access`.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core import audit
from shaobao.core.errors import DomainError, NotFound
from shaobao.intake import people
from shaobao.intake.views import error_text, paginate, web_view
from shaobao.org.models import Division, Unit
from shaobao.org.scoping import district_of
from shaobao.powers import actions
from shaobao.powers import io as power_io
from shaobao.powers.access import (
    STREET_FILERS,
    URGERS,
    access_note,
    access_power,
    access_recommendation,
    managed_district,
    manages_powers,
    notes_visible_to,
    powers_visible_to,
    recommendations_visible_to,
    staff_visible_to,
)
from shaobao.powers.forms import (
    AnswerForm,
    DecideForm,
    ImportForm,
    NoteForm,
    PowerFilterForm,
    PowerForm,
    RecommendForm,
    WithdrawForm,
)
from shaobao.powers.models import AnswerState, RecommendationState
from shaobao.powers.selectors import filter_powers, matters_of, totals, with_counts


def _choices(user):
    district = district_of(user)
    departments = Unit.objects.filter(division=district, is_active=True).order_by("code") if district else []
    streets = Division.objects.filter(level="street", parent=district).order_by("code") if district else []
    return district, departments, streets


def _matters(district):
    from shaobao.duties.selectors import duty_list_in_force

    duty_list = duty_list_in_force(district) if district else None
    return list(duty_list.matters.order_by("code")) if duty_list else []


# --- the list -------------------------------------------------------------------------------------


def _filtered(request):
    _district, departments, streets = _choices(request.user)
    form = PowerFilterForm(request.GET or None, departments=departments, streets=streets)
    qs = powers_visible_to(request.user)
    if form.is_valid():
        qs = filter_powers(qs, **{k: v for k, v in form.cleaned_data.items() if v})
    return form, qs


@web_view
@require_GET
def power_list(request):
    form, qs = _filtered(request)
    page = paginate(request, with_counts(qs).order_by("code"))
    return render(
        request,
        "powers/power_list.html",
        {
            "form": form,
            "page": page,
            "totals": totals(powers_visible_to(request.user)),
            "may_manage": manages_powers(request.user),
            "query": request.GET.urlencode(),
            "today": timezone.localdate(),
        },
    )


@web_view
@require_GET
def power_export(request):
    _form, qs = _filtered(request)
    out = io.BytesIO()
    power_io.export_powers(qs, out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="powers-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


def _detail(request, power, *, withdraw_form=None, status=200):
    response = render(
        request,
        "powers/power_detail.html",
        {
            "power": power,
            "streets": power.streets.order_by("code"),
            "matters": matters_of(power),
            "versions": power.versions.select_related("actor").order_by("-version"),
            "events": audit.history(power),
            "may_manage": manages_powers(request.user, power.district),
            "withdraw_form": withdraw_form or WithdrawForm(),
        },
    )
    response.status_code = status
    return response


@web_view
@require_GET
def power_detail(request, pk: int):
    return _detail(request, access_power(request.user, pk))


@web_view
@require_POST
def power_withdraw(request, pk: int):
    power = access_power(request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail(request, power, withdraw_form=form, status=400)
    try:
        actions.do_withdraw_power(actor=request.user, power_id=power.pk, reason=form.cleaned_data["reason"])
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return _detail(request, access_power(request.user, pk), withdraw_form=form, status=exc.status)
    messages.success(request, _("The power is withdrawn; it no longer acts."))
    return redirect("powers:power_detail", pk=power.pk)


def _power_form(request, power=None):
    district = power.district if power else managed_district(request.user)
    managed_district(request.user, district.code[:6])
    departments = Unit.objects.filter(division=district, is_active=True).order_by("code")
    streets = Division.objects.filter(level="street", parent=district).order_by("code")
    initial = None
    if power is not None:
        initial = {
            "code": power.code,
            "name": power.name,
            "category": power.category,
            "legal_basis": power.legal_basis,
            "department": power.department.code,
            "streets": list(power.streets.values_list("code", flat=True)),
            "effective_date": power.effective_date,
            "matters": list(power.matters.values_list("matter_code", flat=True)),
        }
    form = PowerForm(
        request.POST or None,
        initial=initial,
        departments=departments,
        streets=streets,
        matters=_matters(district),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            note = data.pop("note", "")
            try:
                if power is None:
                    saved = actions.do_create_power(actor=request.user, district=district, note=note, **data)
                else:
                    saved = actions.do_edit_power(actor=request.user, power_id=power.pk, note=note, **data)
            except NotFound:
                raise
            except DomainError as exc:
                for name, message in exc.fields.items():
                    if name in form.fields:
                        form.add_error(name, message)
                if not exc.fields:
                    form.add_error(None, error_text(exc))
                status = exc.status
            else:
                messages.success(request, _("Saved as version %(v)s.") % {"v": saved.version})
                return redirect("powers:power_detail", pk=saved.pk)
    response = render(request, "powers/power_form.html", {"form": form, "power": power})
    response.status_code = status
    return response


@web_view
def power_new(request):
    return _power_form(request)


@web_view
def power_edit(request, pk: int):
    return _power_form(request, access_power(request.user, pk))


@web_view
def power_import(request):
    district = managed_district(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    parsed = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            parsed = power_io.parse_powers_file(upload.read(), district=district, name=upload.name)
            if not parsed.errors:
                counts = actions.do_import_powers(
                    actor=request.user, district=district, rows=parsed.rows, source_name=upload.name
                )
                messages.success(
                    request,
                    _(
                        "Imported: %(created)s new, %(updated)s changed, %(withdrawn)s withdrawn, %(unchanged)s unchanged."
                    )
                    % counts,
                )
                return redirect("powers:power_list")
    lang_zh = (request.LANGUAGE_CODE or "").startswith("zh")
    errors = [
        {"where": e.where_zh() if lang_zh else e.where_en(), "message": e.zh if lang_zh else e.en}
        for e in (parsed.errors if parsed else [])
    ]
    response = render(
        request, "powers/power_import.html", {"form": form, "errors": errors, "district": district}
    )
    response.status_code = status
    return response


# --- the street's powers -----------------------------------------------------------------------------


def _open_summonses(user):
    from shaobao.whistles.models import Summons
    from shaobao.whistles.states import OPEN_SUMMONS_STATES

    streets = people.street_ids(user, STREET_FILERS)
    if not streets and not user.is_superuser:
        return Summons.objects.none()
    qs = Summons.objects.filter(state__in=OPEN_SUMMONS_STATES).select_related("whistle__matter", "unit")
    if not user.is_superuser:
        qs = qs.filter(whistle__street_id__in=streets)
    return qs.order_by("-summoned_at")[:200]


def _street_page(request, *, note_form=None, recommend_form=None, status=200):
    user = request.user
    files = user.is_superuser or bool(people.street_ids(user, STREET_FILERS))
    kinds = None if user.is_superuser or people.street_ids(user, URGERS) else {"proposal"}
    staff = staff_visible_to(user).select_related("street", "department").filter(is_active=True)
    notes = notes_visible_to(user).select_related("street", "unit", "summons__whistle__matter", "author")
    kind = request.GET.get("kind", "")
    if kind in ("proposal", "urge"):
        notes = notes.filter(kind=kind)
    recs = recommendations_visible_to(user).select_related("staff", "street", "department")
    ctx = {
        "may_file": files,
        "note_form": note_form or (NoteForm(summonses=_open_summonses(user), kinds=kinds) if files else None),
        "recommend_form": recommend_form or (RecommendForm(staff=staff) if files else None),
        "notes": paginate(request, notes, 15),
        "kind": kind,
        "staff": staff.order_by("street__code", "department__code", "name")[:200],
        "recommendations": recs[:50],
        "open_notes_for_me": notes_visible_to(user)
        .filter(unit_id__in=people.unit_ids(user), state=AnswerState.OPEN)
        .count(),
        "open_recs_for_me": recs.filter(
            department_id__in=people.unit_ids(user), state=RecommendationState.FILED
        ).count(),
    }
    response = render(request, "powers/street_powers.html", ctx)
    response.status_code = status
    return response


@web_view
@require_GET
def street_powers(request):
    return _street_page(request)


@web_view
@require_POST
def note_file(request):
    kinds = None if request.user.is_superuser or people.street_ids(request.user, URGERS) else {"proposal"}
    form = NoteForm(request.POST, summonses=_open_summonses(request.user), kinds=kinds)
    if not form.is_valid():
        return _street_page(request, note_form=form, status=400)
    try:
        note = actions.do_file_note(
            actor=request.user,
            summons_id=int(form.cleaned_data["summons"]),
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
        )
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return _street_page(request, note_form=form, status=exc.status)
    messages.success(request, _("Sent to the unit, which must answer."))
    return redirect("powers:note_detail", pk=note.pk)


def _note_page(request, note, form=None, status=200):
    response = render(
        request,
        "powers/note_detail.html",
        {
            "note": note,
            "form": form or AnswerForm(),
            "may_answer": note.state == AnswerState.OPEN
            and (request.user.is_superuser or people.acts_for_unit(request.user, note.unit_id)),
        },
    )
    response.status_code = status
    return response


@web_view
@require_GET
def note_detail(request, pk: int):
    return _note_page(request, access_note(request.user, pk))


@web_view
@require_POST
def note_answer(request, pk: int):
    note = access_note(request.user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _note_page(request, note, form, 400)
    try:
        actions.do_answer_note(actor=request.user, note_id=note.pk, answer=form.cleaned_data["answer"])
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return _note_page(request, access_note(request.user, pk), form, exc.status)
    messages.success(request, _("Answer sent."))
    return redirect("powers:note_detail", pk=note.pk)


@web_view
@require_POST
def recommendation_file(request):
    staff = staff_visible_to(request.user).select_related("department").filter(is_active=True)
    form = RecommendForm(request.POST, staff=staff)
    if not form.is_valid():
        return _street_page(request, recommend_form=form, status=400)
    try:
        rec = actions.do_file_recommendation(
            actor=request.user,
            staff_id=int(form.cleaned_data["staff"]),
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return _street_page(request, recommend_form=form, status=exc.status)
    messages.success(request, _("Recommendation filed; the department will answer."))
    return redirect("powers:recommendation_detail", pk=rec.pk)


def _rec_page(request, rec, form=None, status=200):
    response = render(
        request,
        "powers/recommendation_detail.html",
        {
            "rec": rec,
            "form": form or DecideForm(),
            "events": audit.history(rec),
            "may_answer": rec.state == RecommendationState.FILED
            and (request.user.is_superuser or people.acts_for_unit(request.user, rec.department_id)),
        },
    )
    response.status_code = status
    return response


@web_view
@require_GET
def recommendation_detail(request, pk: int):
    return _rec_page(request, access_recommendation(request.user, pk))


@web_view
@require_POST
def recommendation_answer(request, pk: int):
    rec = access_recommendation(request.user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _rec_page(request, rec, form, 400)
    try:
        actions.do_answer_recommendation(
            actor=request.user,
            recommendation_id=rec.pk,
            accepted=form.cleaned_data["accepted"],
            answer=form.cleaned_data["answer"],
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return _rec_page(request, access_recommendation(request.user, pk), form, exc.status)
    messages.success(request, _("Answer sent."))
    return redirect("powers:recommendation_detail", pk=rec.pk)
