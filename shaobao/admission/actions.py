"""Writes of task admission. Every write is one transaction with its audit event; notifications go out after
commit.

- `do_add_entry`: the district seeds its catalogue (履职事项, 协助事项, 证明事项, 牌子 …).
- `do_file_request`: a department asks to push a task, ledger, certificate, meeting or signboard onto
  communities.
- `do_decide_request`: the district approves (the item enters the catalogue with its basis and period) or
  refuses with a reason. The request row is locked (`select_for_update`; on SQLite every transaction takes
  the write lock at BEGIN): of two coordinators deciding at once one wins, the other gets 409.
- `do_mark_not_admitted` / `do_acknowledge_mark`: a community marks a task it received as not admitted,
  quoting the catalogue (or its absence); the department concerned acknowledges it.

Refusals carry the API's "中文 / English" message and a `page_message` in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from shaobao.admission import access
from shaobao.admission.models import (
    ENTRY_KIND_OF_REQUEST,
    OUTSIDE_SIGNBOARD_LIMIT,
    AdmissionRequest,
    CatalogueEntry,
    EntryKind,
    EntryOrigin,
    MarkGround,
    NotAdmittedMark,
    RequestKind,
    RequestState,
)
from shaobao.core import audit
from shaobao.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from shaobao.core.notifications import notify_on_commit
from shaobao.intake import people
from shaobao.org.models import Division, Unit

NAME_MAX = 200
TEXT_MAX = 2000
BASIS_MAX = 1000


# --- refusals in both languages -----------------------------------------------------------------------


def _both(text) -> str:
    with override("zh-hans"):
        zh = str(text)
    with override("en"):
        en = str(text)
    return f"{zh} / {en}"


def _refuse(
    errors: dict, error: type[DomainError] = ValidationFailed, code: str | None = None
) -> DomainError:
    """One error naming every bad field; `message` "中文 / English", `page_message` in the active language."""
    summary = (
        _("The admission data is not valid.") if error is ValidationFailed else next(iter(errors.values()))
    )
    exc = error(_both(summary), fields={k: _both(v) for k, v in errors.items()}, code=code)
    exc.page_message = (
        "; ".join(str(v) for v in errors.values()) if len(errors) > 1 else str(next(iter(errors.values())))
    )
    return exc


def _forbidden(text) -> Forbidden:
    exc = Forbidden(_both(text))
    exc.page_message = str(text)
    return exc


# --- shared checks ------------------------------------------------------------------------------------


def _as_date(value, field: str, errors: dict, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("Give a date.")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("Not a valid date (YYYY-MM-DD).")
        return None


def _check_period(valid_from, valid_until, errors: dict) -> tuple[dt.date | None, dt.date | None]:
    start = _as_date(valid_from, "valid_from", errors, required=True)
    end = _as_date(valid_until, "valid_until", errors, required=False)
    if start and end and end < start:
        errors["valid_until"] = _("The period ends before it starts.")
    return start, end


def _text(value, field: str, errors: dict, *, limit: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > limit:
        errors[field] = _("Too long.")
    return text


def _communities(district: Division, communities: Iterable, errors: dict) -> list[Division]:
    """The chosen communities (objects, ids or 12-digit codes), all in the district."""
    keys = [getattr(c, "pk", c) for c in communities or [] if c not in ("", None)]
    if not keys:
        return []
    ids = {k for k in keys if isinstance(k, int)}
    codes = {Division.full_code(str(k)) for k in keys if not isinstance(k, int)}
    found = list(
        Division.objects.filter(
            Q(pk__in=ids) | Q(code__in=codes), level="community", code__startswith=district.prefix
        )
    )
    if len(found) != len(ids) + len(codes):
        errors["communities"] = _("Choose communities of this district.")
    return found


def outside_signboards(
    district: Division,
    communities: list[Division],
    valid_from: dt.date,
    valid_until: dt.date | None,
    *,
    exclude: int | None = None,
) -> int:
    """The largest number of outside signboards whose period overlaps this one that any of the communities
    (none: every community of the district) already carries."""
    qs = CatalogueEntry.objects.filter(district=district, kind=EntryKind.SIGNBOARD, outside=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    )
    if valid_until is not None:
        qs = qs.filter(valid_from__lte=valid_until)
    if exclude:
        qs = qs.exclude(pk=exclude)
    wide = qs.filter(communities__isnull=True).count()
    per_community = qs.filter(communities__isnull=False).values("communities").annotate(n=Count("pk"))
    if communities:
        per_community = per_community.filter(communities__in=[c.pk for c in communities])
    most = max((row["n"] for row in per_community), default=0)
    return wide + most


def _check_signboard_room(district, communities, valid_from, valid_until) -> None:
    if outside_signboards(district, communities, valid_from, valid_until) >= OUTSIDE_SIGNBOARD_LIMIT:
        raise _refuse(
            {
                "outside": _(
                    "A community may carry at most %(n)d signboards on the outside; this would be one more."
                )
                % {"n": OUTSIDE_SIGNBOARD_LIMIT}
            },
            code="signboard_limit",
        )


def _lock_district(district: Division) -> None:
    """Serialise the signboard count of one district (two approvals at once cannot both take the 6th)."""
    Division.objects.select_for_update().filter(pk=district.pk).first()


def _audit_entry(entry: CatalogueEntry) -> dict:
    return {
        "code": entry.code,
        "kind": entry.kind,
        "unit": entry.unit.code if entry.unit_id else "",
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "origin": entry.origin,
    }


def next_code(district: Division, kind: str) -> str:
    """The next free code for an entry of this kind (`ASSISTING_DUTY-055` style prefixes, see CODE_PREFIX)."""
    prefix = CODE_PREFIX[kind]
    taken = CatalogueEntry.objects.filter(district=district, code__startswith=prefix + "-").values_list(
        "code", flat=True
    )
    numbers = [int(c.rsplit("-", 1)[1]) for c in taken if c.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:03d}"


CODE_PREFIX = {
    EntryKind.DUTY: "LZ",  # 履职
    EntryKind.ASSISTING_DUTY: "XZ",  # 协助
    EntryKind.CERTIFICATE: "ZM",  # 证明
    EntryKind.CERTIFICATE_ABOLISHED: "QX",  # 取消的证明
    EntryKind.SIGNBOARD: "PZ",  # 牌子
    EntryKind.LEDGER: "TZ",  # 台账
    EntryKind.MEETING: "HY",  # 会议
}


# --- the catalogue ------------------------------------------------------------------------------------


def do_add_entry(
    *,
    actor,
    district: Division,
    name: str,
    kind: str,
    basis: str,
    valid_from,
    valid_until=None,
    unit: Unit | None = None,
    communities: Iterable = (),
    outside: bool = False,
    code: str = "",
) -> CatalogueEntry:
    """The district seeds one catalogue entry (origin "seeded")."""
    if not access.is_district_decider(actor, district):
        raise _forbidden(_("Only the district's coordinators may change its catalogue."))
    errors: dict = {}
    name = _text(name, "name", errors, limit=NAME_MAX)
    basis = _text(basis, "basis", errors, limit=BASIS_MAX)
    if kind not in EntryKind.values:
        errors["kind"] = _("Unknown kind.")
    start, end = _check_period(valid_from, valid_until, errors)
    chosen = _communities(district, communities, errors)
    if unit is not None and not unit.division.code.startswith(district.prefix):
        errors["unit"] = _("Choose a unit of this district.")
    if errors:
        raise _refuse(errors)
    outside = bool(outside) and kind == EntryKind.SIGNBOARD
    with transaction.atomic():
        if outside:
            _lock_district(district)
            _check_signboard_room(district, chosen, start, end)
        code = (code or "").strip() or next_code(district, kind)
        if CatalogueEntry.objects.filter(district=district, code=code).exists():
            raise _refuse({"code": _("This code is already in the catalogue.")})
        entry = CatalogueEntry.objects.create(
            district=district,
            code=code,
            name=name,
            kind=kind,
            outside=outside,
            basis=basis,
            unit=unit,
            valid_from=start,
            valid_until=end,
            origin=EntryOrigin.SEEDED,
        )
        if chosen:
            entry.communities.set(chosen)
        audit.record(entry, "add_entry", actor=actor, note=name, data=_audit_entry(entry))
    return entry


# --- admission requests -------------------------------------------------------------------------------


def request_url(pk: int) -> str:
    return reverse("admission:request_detail", args=[pk])


def do_file_request(
    *,
    actor,
    unit: Unit,
    kind: str,
    name: str,
    basis: str,
    reason: str,
    valid_from,
    valid_until=None,
    communities: Iterable = (),
    outside: bool = False,
) -> AdmissionRequest:
    """A department asks to push something onto communities (none chosen: every community of the district)."""
    if unit is None or (
        not getattr(actor, "is_superuser", False)
        and not people.acts_for_unit(actor, getattr(unit, "pk", None))
    ):
        raise _forbidden(_("Only the handlers and leaders of a department may file its admission requests."))
    district = access.district_of_division(unit.division)
    if district is None:
        raise _refuse({"unit": _("This unit belongs to no district.")})
    errors: dict = {}
    name = _text(name, "name", errors, limit=NAME_MAX)
    basis = _text(basis, "basis", errors, limit=BASIS_MAX)
    reason = _text(reason, "reason", errors, limit=TEXT_MAX)
    if kind not in RequestKind.values:
        errors["kind"] = _("Unknown kind.")
    start, end = _check_period(valid_from, valid_until, errors)
    chosen = _communities(district, communities, errors)
    if errors:
        raise _refuse(errors)
    outside = bool(outside) and kind == RequestKind.SIGNBOARD
    if outside:
        _check_signboard_room(district, chosen, start, end)
    with transaction.atomic():
        req = AdmissionRequest.objects.create(
            district=district,
            unit=unit,
            kind=kind,
            name=name,
            outside=outside,
            basis=basis,
            reason=reason,
            all_communities=not chosen,
            valid_from=start,
            valid_until=end,
            filed_by=actor,
            filed_at=timezone.now(),
        )
        if chosen:
            req.communities.set(chosen)
        audit.record(
            req,
            "file_admission_request",
            actor=actor,
            to_state=RequestState.PENDING,
            note=name,
            data={"unit": unit.code, "kind": kind, "communities": sorted(c.code for c in chosen)},
        )
        notify_on_commit(
            people.coordinators(district), f"{unit.name}提交了准入申请：{name}", request_url(req.pk)
        )
    return req


def do_decide_request(*, actor, request_id: int, approve: bool, note: str = "") -> AdmissionRequest:
    """Approve (the item enters the catalogue) or refuse (a reason is required). Deciding a request that is
    no longer pending is a Conflict (409), whoever decided it."""
    found = access.access_request(actor, request_id)
    if not access.is_district_decider(actor, found.district):
        raise _forbidden(_("Only the district's coordinators decide admission requests."))
    note = (note or "").strip()
    if not approve and not note:
        raise _refuse({"note": _("Give the reason for the refusal.")})
    if len(note) > TEXT_MAX:
        raise _refuse({"note": _("Too long.")})
    with transaction.atomic():
        req = AdmissionRequest.objects.select_for_update().select_related("district", "unit").get(pk=found.pk)
        if req.state != RequestState.PENDING:
            raise _refuse(
                {"state": _("This request was already decided.")}, error=Conflict, code="already_decided"
            )
        now = timezone.now()
        req.state = RequestState.APPROVED if approve else RequestState.REFUSED
        req.decided_by, req.decided_at, req.decision_note = actor, now, note
        req.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        data: dict = {"approved": bool(approve)}
        if approve:
            entry = _enter_catalogue(req)
            data["entry"] = entry.code
        audit.record(
            req,
            "approve_admission_request" if approve else "refuse_admission_request",
            actor=actor,
            from_state=RequestState.PENDING,
            to_state=req.state,
            note=note,
            data=data,
        )
        verdict = "已批准，已列入事务目录" if approve else f"未批准：{note}"
        notify_on_commit(
            {req.filed_by_id, *people.unit_staff([req.unit_id])},
            f"准入申请「{req.name}」{verdict}",
            request_url(req.pk),
        )
    return req


def _enter_catalogue(req: AdmissionRequest) -> CatalogueEntry:
    kind = ENTRY_KIND_OF_REQUEST[RequestKind(req.kind)]
    chosen = list(req.communities.all())
    if req.outside:
        _lock_district(req.district)
        _check_signboard_room(req.district, chosen, req.valid_from, req.valid_until)
    entry = CatalogueEntry.objects.create(
        district=req.district,
        code=next_code(req.district, kind),
        name=req.name,
        kind=kind,
        outside=req.outside,
        basis=req.basis,
        unit=req.unit,
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        origin=EntryOrigin.REQUEST,
        request=req,
    )
    if chosen:
        entry.communities.set(chosen)
    audit.record(entry, "add_entry", note=entry.name, data=_audit_entry(entry))
    return entry


# --- not-admitted marks -------------------------------------------------------------------------------


def mark_url(pk: int) -> str:
    return reverse("admission:mark_list") + f"#mark-{pk}"


def do_mark_not_admitted(
    *,
    actor,
    community: Division,
    unit: Unit,
    task: str,
    received_on,
    ground: str,
    entry: CatalogueEntry | None = None,
    note: str = "",
) -> NotAdmittedMark:
    """A community (through its street's dispatcher or leader) marks a task it received as not admitted.

    The ground quotes the catalogue: "absent" (no entry), or an entry that says why — a certificate no
    longer issued, an entry whose period has ended, an entry for other communities only."""
    if community is None or not access.marking_communities(actor).filter(pk=community.pk).exists():
        raise _forbidden(_("Only the dispatchers and leaders of the community's street may mark its tasks."))
    district = access.district_of_division(community)
    errors: dict = {}
    task = _text(task, "task", errors, limit=NAME_MAX)
    note = _text(note, "note", errors, limit=TEXT_MAX, required=False)
    received = _as_date(received_on, "received_on", errors, required=True)
    if received and received > timezone.localdate():
        errors["received_on"] = _("The date is in the future.")
    if unit is None or district is None or not unit.division.code.startswith(district.prefix):
        errors["unit"] = _("Choose a unit of this district.")
    if ground not in MarkGround.values:
        errors["ground"] = _("Unknown ground.")
    elif ground == MarkGround.ABSENT:
        if entry is not None:
            errors["entry"] = _("A task absent from the catalogue quotes no entry.")
    elif entry is None:
        errors["entry"] = _("Quote the catalogue entry.")
    elif district is None or entry.district_id != district.pk:
        errors["entry"] = _("Quote an entry of this district's catalogue.")
    elif ground == MarkGround.ABOLISHED and entry.kind != EntryKind.CERTIFICATE_ABOLISHED:
        errors["entry"] = _("This entry is not a certificate no longer issued.")
    elif ground == MarkGround.EXPIRED and received and entry.in_force(received):
        errors["entry"] = _("This entry was in force on that date.")
    elif ground == MarkGround.OTHER_COMMUNITIES:
        ids = set(entry.communities.values_list("pk", flat=True))
        if not ids or community.pk in ids:
            errors["entry"] = _("This entry applies to this community.")
    if errors:
        raise _refuse(errors)
    with transaction.atomic():
        mark = NotAdmittedMark.objects.create(
            community=community,
            unit=unit,
            task=task,
            received_on=received,
            ground=ground,
            entry=entry,
            note=note,
            marked_by=actor,
            marked_at=timezone.now(),
        )
        audit.record(
            mark,
            "mark_not_admitted",
            actor=actor,
            note=task,
            data={
                "community": community.code,
                "unit": unit.code,
                "ground": ground,
                "entry": entry.code if entry else "",
            },
        )
        notify_on_commit(
            people.unit_staff([unit.pk]), f"{community.name}将「{task}」标记为未准入事项", mark_url(mark.pk)
        )
    return mark


def do_acknowledge_mark(*, actor, mark_id: int, answer: str = "") -> NotAdmittedMark:
    """The department concerned takes note of a mark (once), with an optional answer."""
    found = access.access_mark(actor, mark_id)
    if not getattr(actor, "is_superuser", False) and not people.acts_for_unit(actor, found.unit_id):
        raise _forbidden(_("Only the department concerned acknowledges a mark."))
    errors: dict = {}
    answer = _text(answer, "answer", errors, limit=TEXT_MAX, required=False)
    if errors:
        raise _refuse(errors)
    with transaction.atomic():
        mark = NotAdmittedMark.objects.select_for_update().get(pk=found.pk)
        if mark.acknowledged_at is not None:
            raise _refuse(
                {"state": _("This mark was already acknowledged.")},
                error=Conflict,
                code="already_acknowledged",
            )
        mark.acknowledged_by, mark.acknowledged_at, mark.answer = actor, timezone.now(), answer
        mark.save(update_fields=["acknowledged_by", "acknowledged_at", "answer"])
        audit.record(mark, "acknowledge_mark", actor=actor, note=answer)
        street_id = mark.community.parent_id if mark.community_id else None
        notify_on_commit(
            people.street_staff(street_id, access.MARKING_ROLES),
            f"{mark.unit.name}已知悉未准入标记「{mark.task}」",
            mark_url(mark.pk),
        )
    return mark
