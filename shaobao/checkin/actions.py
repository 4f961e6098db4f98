"""Writes of 双报到: check in organisations and members, publish and take needs, record and confirm services,
service posts and their schedule.

Each do_* validates its input first (a refusal names the field and writes nothing), checks the actor's right
(`checkin.access`), then writes in one transaction with an audit event; rows two people may race for (a
need's places, a service awaiting confirmation) are locked with SELECT ... FOR UPDATE. Refusals carry the
API's "中文 / English" message and a `page_message` in the page's language (`intake.errors.refusal`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.checkin import rollup
from shaobao.checkin.access import (
    access_member,
    access_need,
    access_post,
    access_record,
    reach,
    require_manager,
)
from shaobao.checkin.models import (
    MemberCheckin,
    MemberKind,
    Need,
    NeedKind,
    NeedState,
    NeedTaking,
    OrganisationCheckin,
    PostShift,
    RecordState,
    ServicePost,
    ServiceRecord,
)
from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.intake.models import Demand
from shaobao.intake.states import FINAL_STATES
from shaobao.org.models import Division, Membership, Role, Unit

PHONE_RE = re.compile(r"^\+?\d{5,15}$")
MAX_PLACES = 50
_KINDS, _NEED_KINDS = frozenset(MemberKind.values), frozenset(NeedKind.values)


# --- refusals ---------------------------------------------------------------------------------------


def _texts(text: Callable[[], str]) -> tuple[str, str]:
    from django.utils.translation import override

    with override("zh-hans"):
        zh = str(text())
    with override("en"):
        en = str(text())
    return zh, en


def refuse(errors: dict[str, tuple[str, Callable[[], str]]], error=ValidationFailed):
    """A refusal naming each bad field: {field: (code, text)}; `text()` is translated when called."""
    parts = [_texts(text) for _code, text in errors.values()]
    zh = "；".join(p[0] for p in parts)
    en = "; ".join(p[1] for p in parts)
    exc = error(f"{zh} / {en}", fields={f: code for f, (code, _t) in errors.items()})
    exc.page_message = " ".join(str(text()) for _code, text in errors.values())
    return exc


def _community(code: str | None, errors: dict, field: str = "community") -> Division | None:
    code = (code or "").strip()
    if not code:
        errors[field] = ("required", lambda: _("Choose a community."))
        return None
    community = (
        Division.objects.filter(code=Division.full_code(code), level="community")
        .select_related("parent")
        .first()
        if code.isdigit() and len(code) <= 12
        else None
    )
    if community is None:
        errors[field] = ("not_found", lambda: _("No such community."))
    return community


def _text(value, field: str, errors: dict, *, max_length: int, required: bool = False, label=None) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = ("required", lambda: _("This field is required: %(field)s.") % {"field": label()})
    elif len(value) > max_length:
        errors[field] = (
            "too_long",
            lambda: _("At most %(n)d characters: %(field)s.") % {"n": max_length, "field": label()},
        )
    return value


def _date(value, field: str, errors: dict, *, default: dt.date | None = None) -> dt.date | None:
    if value in (None, ""):
        return default
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            errors[field] = ("invalid", lambda: _("Not a date (YYYY-MM-DD)."))
            return None
    if day > timezone.localdate():
        errors[field] = ("future", lambda: _("The date lies in the future."))
    return day


def _street(community: Division) -> Division:
    return community.parent


def already_checked_in() -> ValidationFailed:
    return refuse({"community": ("already_checked_in", lambda: _("Already checked in to this community."))})


# --- organisations ---------------------------------------------------------------------------------


def do_check_in_organisation(
    *,
    actor,
    community_code: str,
    name: str = "",
    unit_code: str | None = None,
    skills: str = "",
    resources: str = "",
    contact: str = "",
    checked_in_on=None,
) -> OrganisationCheckin:
    """A party organisation (a unit of the district, or a named organisation) checks in to a community.
    The community's managers register it; a unit's own staff may register their unit."""
    errors: dict = {}
    community = _community(community_code, errors)
    unit = None
    if unit_code:
        unit = Unit.objects.filter(code=str(unit_code).strip(), is_active=True).first()
        if unit is None:
            errors["unit"] = ("not_found", lambda: _("No such unit."))
    name = _text(
        name or (unit.name if unit else ""),
        "name",
        errors,
        max_length=100,
        required=True,
        label=lambda: _("organisation"),
    )
    skills = _text(skills, "skills", errors, max_length=300, label=lambda: _("skills offered"))
    resources = _text(resources, "resources", errors, max_length=300, label=lambda: _("resources offered"))
    contact = _text(contact, "contact", errors, max_length=60, label=lambda: _("contact person"))
    day = _date(checked_in_on, "checked_in_on", errors, default=timezone.localdate())
    if community is not None and unit is not None and not community.code.startswith(unit.division.code[:6]):
        errors["unit"] = ("other_district", lambda: _("The unit is not of this community's district."))
    if errors:
        raise refuse(errors)
    own_unit = unit is not None and unit.pk in reach(actor).unit_ids
    if not own_unit:
        require_manager(actor, community)
    with transaction.atomic():
        duplicate = OrganisationCheckin.objects.filter(community=community)
        if duplicate.filter(name=name).exists() or (unit and duplicate.filter(unit=unit).exists()):
            raise already_checked_in()
        org = OrganisationCheckin(
            community=community,
            street=_street(community),
            unit=unit,
            name=name,
            skills=skills,
            resources=resources,
            contact=contact,
            checked_in_on=day,
            created_by=actor,
        )
        try:
            with transaction.atomic():
                org.save()
        except IntegrityError:
            raise already_checked_in() from None
        audit.record(org, "check_in", actor=actor, data={"community": community.code})
    return org


# --- members ---------------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    return re.sub(r"[\s\-()]", "", phone or "")


def do_check_in_member(
    *,
    actor,
    community_code: str,
    name: str,
    phone: str,
    kind: str = MemberKind.PARTY_MEMBER,
    organisation_id: int | None = None,
    employer: str = "",
    skills: str = "",
    resources: str = "",
    username: str | None = None,
    checked_in_on=None,
) -> MemberCheckin:
    """A member checks in to the community where they live. Once per community: the same phone (or the same
    account) checked in there already is refused, naming `community`, and nothing is written. With an
    account (`username`), the account gets the checked-in member role in that community."""
    errors: dict = {}
    community = _community(community_code, errors)
    name = _text(name, "name", errors, max_length=60, required=True, label=lambda: _("name"))
    phone = normalise_phone(phone)
    if not phone:
        errors["phone"] = (
            "required",
            lambda: _("This field is required: %(field)s.") % {"field": _("phone")},
        )
    elif not PHONE_RE.match(phone):
        errors["phone"] = ("invalid", lambda: _("Not a phone number."))
    if kind not in _KINDS:
        errors["kind"] = ("invalid", lambda: _("Unknown kind of member."))
    organisation = None
    if organisation_id not in (None, ""):
        organisation = OrganisationCheckin.objects.filter(pk=_int(organisation_id), is_active=True).first()
        if organisation is None:
            errors["organisation"] = ("not_found", lambda: _("No such organisation."))
    employer = _text(employer, "employer", errors, max_length=100, label=lambda: _("employer"))
    skills = _text(skills, "skills", errors, max_length=300, label=lambda: _("skills offered"))
    resources = _text(resources, "resources", errors, max_length=300, label=lambda: _("resources offered"))
    day = _date(checked_in_on, "checked_in_on", errors, default=timezone.localdate())
    account = None
    if username:
        account = get_user_model().objects.filter(username=str(username).strip(), is_active=True).first()
        if account is None:
            errors["username"] = ("not_found", lambda: _("No such account."))
    if community and organisation and not community.code.startswith(organisation.community.code[:6]):
        errors["organisation"] = ("other_district", lambda: _("The organisation is of another district."))
    if errors:
        raise refuse(errors)
    r = reach(actor)
    own_org = organisation is not None and organisation.unit_id in r.unit_ids
    if not own_org:
        require_manager(actor, community)
    with transaction.atomic():
        taken = MemberCheckin.objects.filter(community=community, phone=phone)
        if account is not None:
            taken = taken | MemberCheckin.objects.filter(community=community, user=account)
        if taken.exists():
            raise already_checked_in()
        member = MemberCheckin(
            community=community,
            street=_street(community),
            kind=kind,
            name=name,
            phone=phone,
            organisation=organisation,
            employer=employer,
            user=account,
            skills=skills,
            resources=resources,
            checked_in_on=day,
            created_by=actor,
        )
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError:  # the same member, checked in by someone else at the same moment
            raise already_checked_in() from None
        if account is not None:
            Membership.objects.get_or_create(
                user=account, role=Role.CHECKIN_MEMBER, division=community, unit=None
            )
        audit.record(member, "check_in", actor=actor, data={"community": community.code, "kind": kind})
    return member


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- needs -----------------------------------------------------------------------------------------


def new_confirmation_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def do_publish_need(
    *,
    actor,
    community_code: str,
    title: str,
    kind: str = NeedKind.SERVICE_TASK,
    description: str = "",
    skills: str = "",
    places: int = 1,
    due_on=None,
    demand_id: int | None = None,
) -> Need:
    """The community publishes a need: a service task, a resident's small wish, or a demand the street handles
    itself (linked to the intake demand, which must be of the community's street)."""
    errors: dict = {}
    community = _community(community_code, errors)
    title = _text(title, "title", errors, max_length=120, required=True, label=lambda: _("title"))
    description = _text(description, "description", errors, max_length=2000, label=lambda: _("description"))
    skills = _text(skills, "skills", errors, max_length=200, label=lambda: _("skills wanted"))
    if kind not in _NEED_KINDS:
        errors["kind"] = ("invalid", lambda: _("Unknown kind of need."))
    places = _int(places)
    if not 1 <= places <= MAX_PLACES:
        errors["places"] = ("invalid", lambda: _("Between 1 and %(n)d members.") % {"n": MAX_PLACES})
    due = None
    if due_on not in (None, ""):
        try:
            due = due_on if isinstance(due_on, dt.date) else dt.date.fromisoformat(str(due_on))
        except ValueError:
            errors["due_on"] = ("invalid", lambda: _("Not a date (YYYY-MM-DD)."))
    demand = None
    if demand_id not in (None, ""):
        demand = Demand.objects.visible_to(actor).filter(pk=_int(demand_id)).first()
        if demand is None:
            errors["demand"] = ("not_found", lambda: _("No such demand."))
        elif community is not None and demand.street_id != community.parent_id:
            errors["demand"] = ("other_street", lambda: _("The demand is not of this community's street."))
        elif demand.state in FINAL_STATES:
            errors["demand"] = ("final", lambda: _("The demand is already closed."))
    elif kind == NeedKind.SELF_HANDLED_DEMAND:
        errors["demand"] = ("required", lambda: _("Choose the demand the street handles."))
    if errors:
        raise refuse(errors)
    require_manager(actor, community)
    with transaction.atomic():
        need = Need.objects.create(
            community=community,
            street=_street(community),
            kind=kind,
            title=title,
            description=description,
            skills=skills,
            places=places,
            due_on=due,
            demand=demand,
            confirmation_code=new_confirmation_code(),
            published_by=actor,
        )
        audit.record(need, "publish", actor=actor, to_state=need.state, data={"kind": kind})
    return need


def _own_member_in(actor, community_id: int) -> MemberCheckin | None:
    ids = reach(actor).member_ids
    return MemberCheckin.objects.filter(pk__in=ids, community_id=community_id, is_active=True).first()


def serves_in(member: MemberCheckin, community_id: int) -> bool:
    """A member serves the community they live in, or the one their organisation checked in to."""
    return member.community_id == community_id or (
        member.organisation_id is not None and member.organisation.community_id == community_id
    )


def do_take_need(*, actor, need_id: int, member_id: int | None = None) -> NeedTaking:
    """A member takes an open need of their community (or the community assigns it to a member). When every
    place is taken the need is no longer open."""
    with transaction.atomic():
        seen = access_need(actor, need_id)
        need = Need.objects.select_for_update().get(pk=seen.pk)
        if member_id not in (None, ""):
            member = access_member(actor, member_id)
            if member.user_id != actor.pk:
                require_manager(actor, need.community)
        else:
            member = _own_member_in(actor, need.community_id)
            if member is None:
                member = MemberCheckin.objects.filter(pk__in=reach(actor).member_ids, is_active=True).first()
            if member is None:
                raise Forbidden("只有报到成员可以认领 / Only checked-in members take needs")
        if not member.is_active or not serves_in(member, need.community_id):
            raise refuse(
                {"member": ("other_community", lambda: _("The member is not checked in to this community."))}
            )
        if need.state != NeedState.OPEN:
            raise refuse({"need": ("not_open", lambda: _("This need is no longer open."))}, error=Conflict)
        if NeedTaking.objects.filter(need=need, member=member).exists():
            raise refuse(
                {"need": ("already_taken", lambda: _("You have already taken this need."))}, error=Conflict
            )
        taking = NeedTaking.objects.create(need=need, member=member)
        from_state = need.state
        if need.takings.count() >= need.places:
            need.state = NeedState.TAKEN
            need.save(update_fields=["state"])
        audit.record(
            need, "take", actor=actor, from_state=from_state, to_state=need.state, data={"member": member.pk}
        )
    return taking


def _finish_need(actor, need_id: int, to_state: str, action: str) -> Need:
    with transaction.atomic():
        seen = access_need(actor, need_id)
        need = Need.objects.select_for_update().get(pk=seen.pk)
        require_manager(actor, seen.community)
        if need.state in (NeedState.CLOSED, NeedState.CANCELLED):
            raise refuse({"need": ("final", lambda: _("This need is already closed."))}, error=Conflict)
        from_state, need.state = need.state, to_state
        need.save(update_fields=["state"])
        audit.record(need, action, actor=actor, from_state=from_state, to_state=to_state)
    return need


def do_close_need(*, actor, need_id: int) -> Need:
    return _finish_need(actor, need_id, NeedState.CLOSED, "close")


def do_cancel_need(*, actor, need_id: int) -> Need:
    return _finish_need(actor, need_id, NeedState.CANCELLED, "cancel")


# --- services --------------------------------------------------------------------------------------


def _hours(value, errors: dict) -> Decimal | None:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        errors["hours"] = ("invalid", lambda: _("Hours: a number."))
        return None
    if not Decimal("0") < hours <= Decimal("24"):
        errors["hours"] = ("out_of_range", lambda: _("Hours: more than 0, at most 24."))
    return hours


def do_record_service(
    *,
    actor,
    what: str,
    hours,
    served_on=None,
    member_id: int | None = None,
    need_id: int | None = None,
    confirmation_code: str = "",
    note: str = "",
) -> ServiceRecord:
    """Record one service. A member records their own (for a need they took, or on their own initiative in
    their community); the community's managers may record for any of its members. With the resident's
    confirmation code of the need, the service is confirmed at once; otherwise it awaits the community's
    confirmation (`do_confirm_service`). Only confirmed services count as person-times."""
    errors: dict = {}
    what = _text(what, "what", errors, max_length=200, required=True, label=lambda: _("service"))
    note = _text(note, "note", errors, max_length=200, label=lambda: _("note"))
    amount = _hours(hours, errors)
    day = _date(served_on, "served_on", errors, default=timezone.localdate())
    code = (confirmation_code or "").strip()
    if errors:
        raise refuse(errors)
    need = access_need(actor, need_id) if need_id not in (None, "") else None
    if member_id not in (None, ""):
        member = access_member(actor, member_id)
    else:
        member = _own_member_in(actor, need.community_id) if need else None
        if member is None:
            member = MemberCheckin.objects.filter(pk__in=reach(actor).member_ids, is_active=True).first()
        if member is None:
            raise refuse({"member": ("required", lambda: _("Choose the member who served."))})
    community = need.community if need else member.community
    own = member.user_id is not None and member.user_id == actor.pk
    if not own:
        require_manager(actor, community)
    if need is not None:
        if own and not NeedTaking.objects.filter(need=need, member=member).exists():
            raise refuse(
                {"need": ("not_taken", lambda: _("Take the need before recording a service for it."))}
            )
        if not serves_in(member, need.community_id):
            raise refuse(
                {"member": ("other_community", lambda: _("The member is not checked in to this community."))}
            )
    if code:
        if need is None:
            raise refuse(
                {"confirmation_code": ("no_need", lambda: _("A confirmation code belongs to a need."))}
            )
        if not secrets.compare_digest(code, need.confirmation_code):
            raise refuse({"confirmation_code": ("wrong", lambda: _("The confirmation code is not right."))})
    with transaction.atomic():
        now = timezone.now()
        record = ServiceRecord.objects.create(
            member=member,
            organisation_id=member.organisation_id,
            community=community,
            street=_street(community),
            need=need,
            what=what,
            hours=amount,
            served_on=day,
            note=note,
            state=RecordState.CONFIRMED if code else RecordState.RECORDED,
            confirm_method="code" if code else "",
            confirmed_at=now if code else None,
            recorded_by=actor,
        )
        rollup.count(record)
        audit.record(
            record,
            "record",
            actor=actor,
            to_state=record.state,
            data={"member": member.pk, "need": getattr(need, "pk", None), "hours": str(amount)},
        )
    return record


def do_confirm_service(*, actor, record_id: int, confirmed: bool = True, note: str = "") -> ServiceRecord:
    """The community confirms a recorded service (it counts from then on) or says it did not happen."""
    with transaction.atomic():
        seen = access_record(actor, record_id)
        require_manager(actor, seen.community)
        record = ServiceRecord.objects.select_for_update().get(pk=seen.pk)
        if record.state != RecordState.RECORDED:
            raise refuse(
                {
                    "record": (
                        "already_decided",
                        lambda: _("This service has already been confirmed or rejected."),
                    )
                },
                error=Conflict,
            )
        from_state = record.state
        record.state = RecordState.CONFIRMED if confirmed else RecordState.REJECTED
        record.confirm_method = "staff" if confirmed else ""
        record.confirmed_by = actor
        record.confirmed_at = timezone.now()
        if note:
            record.note = note[:200]
        record.save(update_fields=["state", "confirm_method", "confirmed_by", "confirmed_at", "note"])
        rollup.count(record)
        audit.record(
            record,
            "confirm" if confirmed else "reject",
            actor=actor,
            from_state=from_state,
            to_state=record.state,
            note=note,
        )
    return record


# --- service posts ---------------------------------------------------------------------------------


def do_add_post(
    *, actor, community_code: str, name: str, address: str = "", services: str = ""
) -> ServicePost:
    errors: dict = {}
    community = _community(community_code, errors)
    name = _text(name, "name", errors, max_length=100, required=True, label=lambda: _("name"))
    address = _text(address, "address", errors, max_length=200, label=lambda: _("address"))
    services = _text(services, "services", errors, max_length=200, label=lambda: _("services offered"))
    if errors:
        raise refuse(errors)
    require_manager(actor, community)
    with transaction.atomic():
        post = ServicePost.objects.create(
            community=community, street=_street(community), name=name, address=address, services=services
        )
        audit.record(post, "create", actor=actor)
    return post


def _time(value, field: str, errors: dict) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value or ""))
    except ValueError:
        errors[field] = ("invalid", lambda: _("Not a time (HH:MM)."))
        return None


def do_add_shift(*, actor, post_id: int, member_id: int, weekday: int, starts_at, ends_at) -> PostShift:
    """A member serves at the post every week on a day, from a time to a time."""
    errors: dict = {}
    day = _int(weekday) if str(weekday).strip().isdigit() else -1
    if not 0 <= day <= 6:
        errors["weekday"] = ("invalid", lambda: _("Choose a day of the week."))
    start = _time(starts_at, "starts_at", errors)
    end = _time(ends_at, "ends_at", errors)
    if start and end and end <= start:
        errors["ends_at"] = ("before_start", lambda: _("The end is not after the start."))
    if errors:
        raise refuse(errors)
    post = access_post(actor, post_id)
    require_manager(actor, post.community)
    member = access_member(actor, member_id)
    if not serves_in(member, post.community_id):
        raise refuse(
            {"member": ("other_community", lambda: _("The member is not checked in to this community."))}
        )
    with transaction.atomic():
        if PostShift.objects.filter(post=post, member=member, weekday=day, starts_at=start).exists():
            raise refuse({"starts_at": ("duplicate", lambda: _("This member already serves then."))})
        shift = PostShift.objects.create(post=post, member=member, weekday=day, starts_at=start, ends_at=end)
        audit.record(post, "add_shift", actor=actor, data={"member": member.pk, "weekday": day})
    return shift


def do_remove_shift(*, actor, shift_id: int) -> None:
    with transaction.atomic():
        shift = PostShift.objects.select_related("post__community").filter(pk=_int(shift_id)).first()
        if shift is None:
            raise refuse({"shift": ("not_found", lambda: _("No such shift."))})
        access_post(actor, shift.post_id)
        require_manager(actor, shift.post.community)
        audit.record(shift.post, "remove_shift", actor=actor, data={"member": shift.member_id})
        shift.delete()


def do_set_member_active(*, actor, member_id: int, active: bool) -> MemberCheckin:
    """The community ends (or restores) a member's check-in; their records stay."""
    with transaction.atomic():
        member = access_member(actor, member_id)
        require_manager(actor, member.community)
        MemberCheckin.objects.filter(pk=member.pk).update(is_active=active)
        member.is_active = active
        audit.record(member, "activate" if active else "deactivate", actor=actor)
    return member


__all__ = [
    "do_add_post",
    "do_add_shift",
    "do_cancel_need",
    "do_check_in_member",
    "do_check_in_organisation",
    "do_close_need",
    "do_confirm_service",
    "do_publish_need",
    "do_record_service",
    "do_remove_shift",
    "do_set_member_active",
    "do_take_need",
]
