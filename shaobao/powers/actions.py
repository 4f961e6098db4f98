"""Every write of the powers app: the list of delegated powers (create, edit, withdraw, import) and the
street's powers (proposal and urge notes on a summons, recommendations on stationed staff) with their
answers. Each runs in one transaction, locks the row it changes, checks who acts, and writes the audit
record; an answer given twice is a Conflict (409) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.intake import people
from shaobao.org.models import Division, Unit
from shaobao.powers.access import (
    STREET_FILERS,
    URGERS,
    access_note,
    access_power,
    access_recommendation,
    access_staff,
    require_manager,
)
from shaobao.powers.models import (
    AnswerState,
    DelegatedPower,
    NoteKind,
    PowerCategory,
    PowerChange,
    PowerMatter,
    PowerStatus,
    PowerVersion,
    Recommendation,
    RecommendationKind,
    RecommendationState,
    StreetNote,
)

ALL_STREETS = {"all", "全部", "全部街乡", "*"}
MAX = {"code": 40, "name": 200}


# --- the fields of a power -----------------------------------------------------------------------------


@dataclass
class PowerFields:
    code: str
    name: str
    category: str
    legal_basis: str
    department: Unit
    streets: list[Division]
    effective_date: dt.date
    matter_codes: list[str]


def district_streets(district: Division) -> dict[str, Division]:
    return {d.code: d for d in Division.objects.filter(level="street", code__startswith=district.prefix)}


def known_matter_codes(district: Division) -> set[str] | None:
    """The matter codes of the duty list in force (None: no list in force, codes are not checked)."""
    from shaobao.duties.selectors import duty_list_in_force

    duty_list = duty_list_in_force(district)
    return set(duty_list.matters.values_list("code", flat=True)) if duty_list else None


def resolve_department(district: Division, code: str) -> Unit:
    unit = Unit.objects.filter(code=code, is_active=True).first() if code else None
    if unit is None or unit.division_id != district.pk:
        raise ValueError(code)
    return unit


def resolve_streets(streets: dict[str, Division], codes: Iterable[str]) -> tuple[list[Division], list[str]]:
    """(streets, unknown codes); "all"/"全部" names every street of the district."""
    found: dict[int, Division] = {}
    bad = []
    for raw in codes:
        code = str(raw).strip()
        if not code:
            continue
        if code.lower() in ALL_STREETS:
            found.update({s.pk: s for s in streets.values()})
            continue
        street = streets.get(Division.full_code(code)) if code.isdigit() and len(code) <= 12 else None
        if street is None:
            street = next((s for s in streets.values() if s.name == code), None)
        if street is None:
            bad.append(code)
        else:
            found[street.pk] = street
    return sorted(found.values(), key=lambda s: s.code), bad


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def clean_power(district: Division, data: dict) -> PowerFields:
    """Check every field at once; a ValidationFailed names each bad field. Nothing is written."""
    errors: dict[str, str] = {}
    text = {
        k: str(data.get(k) or "").strip() for k in ("code", "name", "category", "legal_basis", "department")
    }
    for key in ("code", "name", "category", "legal_basis", "department"):
        if not text[key]:
            errors[key] = "必填 / This field is required"
    for key, limit in MAX.items():
        if len(text[key]) > limit:
            errors[key] = f"最多 {limit} 个字符 / At most {limit} characters"
    if text["category"] and text["category"] not in PowerCategory.values:
        errors["category"] = "取值无效 / Not a valid choice: " + ", ".join(PowerCategory.values)
    department = None
    if text["department"]:
        try:
            department = resolve_department(district, text["department"])
        except ValueError:
            errors["department"] = "不是本区的部门 / Not an active department of the district"
    streets, bad = resolve_streets(district_streets(district), data.get("streets") or [])
    if bad:
        errors["streets"] = "不是本区的街乡 / Not streets of the district: " + ", ".join(bad)
    elif not streets:
        errors["streets"] = "至少一个街乡 / At least one street is required"
    effective = None
    if not data.get("effective_date"):
        errors["effective_date"] = "必填 / This field is required"
    else:
        try:
            effective = parse_date(data["effective_date"])
        except ValueError:
            errors["effective_date"] = "日期格式应为 YYYY-MM-DD / Must be a date YYYY-MM-DD"
    matter_codes = list(dict.fromkeys(str(c).strip() for c in (data.get("matters") or []) if str(c).strip()))
    known = known_matter_codes(district)
    unknown = [c for c in matter_codes if known is not None and c not in known]
    if unknown:
        errors["matters"] = "权责清单中没有这些事项 / Not matters of the duty list in force: " + ", ".join(
            unknown
        )
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", fields=errors)
    return PowerFields(
        text["code"], text["name"], text["category"], text["legal_basis"], department, streets, effective,
        matter_codes,
    )  # fmt: skip


def snapshot(power: DelegatedPower) -> dict:
    return {
        "code": power.code,
        "name": power.name,
        "category": power.category,
        "legal_basis": power.legal_basis,
        "department": power.department.code,
        "streets": sorted(power.streets.values_list("code", flat=True)),
        "effective_date": power.effective_date.isoformat(),
        "matters": sorted(power.matters.values_list("matter_code", flat=True)),
        "status": power.status,
        "withdrawn_on": power.withdrawn_on.isoformat() if power.withdrawn_on else None,
        "withdrawal_reason": power.withdrawal_reason,
    }


def _version(power: DelegatedPower, change: str, actor, note: str = "") -> PowerVersion:
    return PowerVersion.objects.create(
        power=power,
        version=power.version,
        change=change,
        snapshot=snapshot(power),
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _apply(power: DelegatedPower, f: PowerFields) -> None:
    power.code, power.name, power.category, power.legal_basis = f.code, f.name, f.category, f.legal_basis
    power.department, power.effective_date = f.department, f.effective_date


def _set_links(power: DelegatedPower, f: PowerFields) -> None:
    power.streets.set(f.streets)
    have = set(power.matters.values_list("matter_code", flat=True))
    want = set(f.matter_codes)
    if have - want:
        power.matters.filter(matter_code__in=have - want).delete()
    PowerMatter.objects.bulk_create([PowerMatter(power=power, matter_code=c) for c in sorted(want - have)])


def _duplicate(district: Division, code: str, exclude: int | None = None) -> bool:
    qs = DelegatedPower.objects.filter(district=district, code=code)
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


def do_create_power(*, actor, district: Division, note: str = "", **data) -> DelegatedPower:
    """A new power in the district's list (version 1, in force)."""
    require_manager(actor, district)
    fields = clean_power(district, data)
    if _duplicate(district, fields.code):
        raise ValidationFailed(
            f"编码 {fields.code} 已存在 / Code {fields.code} already exists", fields={"code": "duplicate"}
        )
    try:
        with transaction.atomic():
            power = DelegatedPower(district=district)
            _apply(power, fields)
            power.save()
            _set_links(power, fields)
            _version(power, PowerChange.CREATED, actor, note)
            audit.record(power, "create_power", actor=actor, to_state=power.status, note=note)
    except IntegrityError:  # a concurrent create of the same code
        raise ValidationFailed(
            f"编码 {fields.code} 已存在 / Code {fields.code} already exists", fields={"code": "duplicate"}
        ) from None
    return power


def do_edit_power(*, actor, power_id: int, note: str = "", **data) -> DelegatedPower:
    """Change a power in force: a new version; the old one stays in the history. A withdrawn power is
    history and cannot be edited (409)."""
    current = access_power(actor, power_id)
    require_manager(actor, current.district)
    fields = clean_power(current.district, data)
    with transaction.atomic():
        power = DelegatedPower.objects.select_for_update().select_related("department").get(pk=current.pk)
        if power.status == PowerStatus.WITHDRAWN:
            raise Conflict(
                "已撤回的赋权事项不能修改 / A withdrawn power cannot be edited", code="power_withdrawn"
            )
        if _duplicate(power.district, fields.code, exclude=power.pk):
            raise ValidationFailed(
                f"编码 {fields.code} 已存在 / Code {fields.code} already exists", fields={"code": "duplicate"}
            )
        before = snapshot(power)
        _apply(power, fields)
        power.save()
        _set_links(power, fields)
        if snapshot(power) == before:
            return power  # nothing changed: no new version
        power.version += 1
        power.save(update_fields=["version", "updated_at"])
        _version(power, PowerChange.EDITED, actor, note)
        audit.record(power, "edit_power", actor=actor, note=note, data={"version": power.version})
    return power


def do_withdraw_power(*, actor, power_id: int, reason: str, on: dt.date | None = None) -> DelegatedPower:
    """Withdraw a power: it stops acting (routing no longer proposes self-handling for it); its versions
    stay. Withdrawing twice is a Conflict."""
    current = access_power(actor, power_id)
    require_manager(actor, current.district)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "请说明撤回理由 / Give the reason for withdrawal", fields={"reason": "required"}
        )
    with transaction.atomic():
        power = DelegatedPower.objects.select_for_update().select_related("department").get(pk=current.pk)
        if power.status == PowerStatus.WITHDRAWN:
            raise Conflict("该赋权事项已撤回 / The power is already withdrawn", code="illegal_transition")
        power.status = PowerStatus.WITHDRAWN
        power.withdrawn_on = on or timezone.localdate()
        power.withdrawal_reason = reason
        power.version += 1
        power.save()
        _version(power, PowerChange.WITHDRAWN, actor, reason)
        audit.record(
            power,
            "withdraw_power",
            actor=actor,
            from_state=PowerStatus.IN_FORCE,
            to_state=power.status,
            note=reason,
        )
    return power


def do_import_powers(*, actor, district: Division, rows: list, source_name: str = "") -> dict[str, int]:
    """Write the rows of a checked file (`powers.io.parse_powers_file`, no errors): new codes are created,
    changed ones get a new version, a row marked withdrawn withdraws its power. All or nothing."""
    require_manager(actor, district)
    note = f"导入 / imported {source_name}".strip()
    counts = {"created": 0, "updated": 0, "withdrawn": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {
            p.code: p
            for p in DelegatedPower.objects.select_for_update()
            .filter(district=district)
            .select_related("department")
        }
        for row in rows:
            f = row.fields
            power = existing.get(f.code)
            if power is None:
                power = DelegatedPower(district=district)
                _apply(power, f)
                power.save()
                _set_links(power, f)
                _version(power, PowerChange.IMPORTED, actor, note)
                counts["created"] += 1
            else:
                before = snapshot(power)
                if power.status == PowerStatus.IN_FORCE:
                    _apply(power, f)
                    power.save()
                    _set_links(power, f)
                    if snapshot(power) != before:
                        power.version += 1
                        power.save(update_fields=["version", "updated_at"])
                        _version(power, PowerChange.IMPORTED, actor, note)
                        counts["updated"] += 1
                    elif not row.withdrawn:
                        counts["unchanged"] += 1
                elif not row.withdrawn:
                    counts["unchanged"] += 1  # a withdrawn power stays history; a new code re-delegates it
            if row.withdrawn and power.status == PowerStatus.IN_FORCE:
                power.status = PowerStatus.WITHDRAWN
                power.withdrawn_on = timezone.localdate()
                power.withdrawal_reason = row.withdrawal_reason or note
                power.version += 1
                power.save()
                _version(power, PowerChange.WITHDRAWN, actor, power.withdrawal_reason)
                counts["withdrawn"] += 1
        audit.record(district, "import_powers", actor=actor, note=source_name, data=counts)
    return counts


# --- the street's powers: notes on a summons ------------------------------------------------------


def do_file_note(*, actor, summons_id: int, kind: str, text: str) -> StreetNote:
    """处置建议 (street dispatchers and leaders) or 统筹督促 (street leaders) on an open summons of one of
    the street's whistles; the summoned unit is told and must answer."""
    from shaobao.core.notifications import notify_on_commit
    from shaobao.whistles.access import access_summons
    from shaobao.whistles.models import Summons
    from shaobao.whistles.states import OPEN_SUMMONS_STATES

    if kind not in NoteKind.values:
        raise ValidationFailed("类型无效 / Not a valid kind", fields={"kind": "invalid"})
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写内容 / The text is required", fields={"text": "required"})
    summons = access_summons(actor, summons_id)
    street = summons.whistle.street
    roles = URGERS if kind == NoteKind.URGE else STREET_FILERS
    if not (getattr(actor, "is_superuser", False) or people.acts_for_street(actor, street, roles)):
        if kind == NoteKind.URGE:
            raise Forbidden("只有街乡领导可以督促 / Only the street's leaders issue urge notes")
        raise Forbidden(
            "只有本街乡的调度员和领导可以提出处置建议 / Only the street's dispatchers and leaders"
        )
    with transaction.atomic():
        locked = Summons.objects.select_for_update().get(pk=summons.pk)
        if locked.state not in OPEN_SUMMONS_STATES:
            raise Conflict("报到单已结束 / The summons is no longer open", code="illegal_transition")
        note = StreetNote.objects.create(
            kind=kind, summons=locked, street=street, unit_id=locked.unit_id, text=text, author=actor
        )
        audit.record(note, f"file_{kind}", actor=actor, to_state=note.state, note=text)
        audit.record(locked, f"street_{kind}", actor=actor, note=text, data={"note": note.pk})
        from django.urls import reverse

        label = "街乡督促" if kind == NoteKind.URGE else "街乡处置建议"
        notify_on_commit(
            people.unit_staff([locked.unit_id]),
            f"{label}：{text[:60]}",
            reverse("powers:note_detail", args=[note.pk]),
        )
    return note


def do_answer_note(*, actor, note_id: int, answer: str) -> StreetNote:
    """The summoned unit answers a proposal or urge note, once (a second answer is a Conflict)."""
    current = access_note(actor, note_id)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("请填写答复 / The answer is required", fields={"answer": "required"})
    if not (getattr(actor, "is_superuser", False) or people.acts_for_unit(actor, current.unit_id)):
        raise Forbidden("只有被召集的单位可以答复 / Only the summoned unit answers")
    with transaction.atomic():
        note = StreetNote.objects.select_for_update().get(pk=current.pk)
        if note.state != AnswerState.OPEN:
            raise Conflict("已经答复过了 / Already answered", code="illegal_transition")
        note.state, note.answer = AnswerState.ANSWERED, answer
        note.answered_by, note.answered_at = actor, timezone.now()
        note.save()
        audit.record(
            note, "answer", actor=actor, from_state=AnswerState.OPEN, to_state=note.state, note=answer
        )
    return note


# --- the street's powers: recommendations on stationed staff --------------------------------------


def do_file_recommendation(*, actor, staff_id: int, kind: str, reason: str) -> Recommendation:
    """派驻人员任免建议: the street (dispatchers, leaders) recommends; the department is told."""
    from shaobao.core.notifications import notify_on_commit

    if kind not in RecommendationKind.values:
        raise ValidationFailed("类型无效 / Not a valid kind", fields={"kind": "invalid"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请说明理由 / The reason is required", fields={"reason": "required"})
    staff = access_staff(actor, staff_id)
    if not (
        getattr(actor, "is_superuser", False) or people.acts_for_street(actor, staff.street, STREET_FILERS)
    ):
        raise Forbidden("只有本街乡的调度员和领导可以提出建议 / Only the street's dispatchers and leaders")
    if not staff.is_active:
        raise Conflict("该人员已不在派驻岗位 / No longer stationed here", code="illegal_transition")
    with transaction.atomic():
        rec = Recommendation.objects.create(
            staff=staff,
            street=staff.street,
            department=staff.department,
            kind=kind,
            reason=reason,
            filed_by=actor,
        )
        audit.record(rec, "file_recommendation", actor=actor, to_state=rec.state, note=reason)
        from django.urls import reverse

        notify_on_commit(
            people.unit_staff([staff.department_id]),
            f"派驻人员任免建议：{staff.name}",
            reverse("powers:recommendation_detail", args=[rec.pk]),
        )
    return rec


def do_answer_recommendation(*, actor, recommendation_id: int, accepted: bool, answer: str) -> Recommendation:
    """The department accepts or declines, with its answer, once (a second answer is a Conflict)."""
    current = access_recommendation(actor, recommendation_id)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("请填写答复 / The answer is required", fields={"answer": "required"})
    if not (getattr(actor, "is_superuser", False) or people.acts_for_unit(actor, current.department_id)):
        raise Forbidden("只有派驻部门可以答复 / Only the department answers")
    with transaction.atomic():
        rec = Recommendation.objects.select_for_update().get(pk=current.pk)
        if rec.state != RecommendationState.FILED:
            raise Conflict("已经答复过了 / Already answered", code="illegal_transition")
        rec.state = RecommendationState.ACCEPTED if accepted else RecommendationState.DECLINED
        rec.answer, rec.answered_by, rec.answered_at = answer, actor, timezone.now()
        rec.save()
        audit.record(
            rec, "answer_recommendation", actor=actor, from_state=RecommendationState.FILED, to_state=rec.state,
            note=answer,
        )  # fmt: skip
    return rec
