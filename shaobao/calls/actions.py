"""Writes of the calls up the levels: call, assign, call up, report in, dispute, arbitrate, finish, verify.

One write path: each do_* locks the call and then the assignment (always in that order), checks the
transition tables (`calls.states` for the call, the whistles' summons table for an assignment), the
actor's role and area, writes states and audit events in one transaction and queues the notifications
after commit. An illegal step raises Conflict and writes nothing. Deadlines are the whistles' (report-in
by type, finish in working days), stored when a clock starts.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.calls.access import (
    access_extension,
    acts_for_caller,
    lock_assignment,
    lock_call,
    require_caller,
    require_centre,
    require_unit,
)
from shaobao.calls.models import (
    Call,
    CallAssignment,
    CallExtensionRequest,
    CallLevel,
    CallRating,
    CallState,
)
from shaobao.calls.recipients import call_url, caller_staff, centre_staff
from shaobao.calls.states import check_call_step
from shaobao.calls.supervision import resolve_orders, restart_finish_stages
from shaobao.core import audit
from shaobao.core.calendar import add_working_days
from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.core.notifications import msg, notify_on_commit
from shaobao.intake import people
from shaobao.org.models import Division, Unit
from shaobao.whistles import deadlines
from shaobao.whistles.actions import checked_extension
from shaobao.whistles.models import ExtensionState, SummonsRole, SummonsState, WhistleType
from shaobao.whistles.states import ACTIVE_SUMMONS_STATES, DONE_SUMMONS_STATES, check_summons_step

# The kinds of unit a centre assigns: its own departments (a county's district departments and stationed
# offices; the city's departments). A street's sections and committees are the township's own.
CENTRE_UNIT_KINDS = {"district": ("department", "stationed_office"), "city": ("city_department",)}
MAX_SUBJECT = 200


def centre_of(caller: Division) -> Division:
    """The centre above a caller: a street's district, a district's city."""
    centre = caller.parent
    wanted = {"street": "district", "district": "city"}.get(caller.level)
    if wanted is None or centre is None or centre.level != wanted:
        raise ValidationFailed(
            "只有街乡可以呼叫区县、区县可以呼叫市 / Only a street calls its district and a district its city",
            fields={"caller": "no_centre_above"},
        )
    return centre


def _step_call(call: Call, action: str, *, actor, note: str = "", data=None, **changes) -> None:
    from_state = call.state
    call.state = check_call_step(from_state, action)
    for name, value in changes.items():
        setattr(call, name, value)
    call.save(update_fields=["state", *changes])
    audit.record(call, action, actor=actor, from_state=from_state, to_state=call.state, note=note, data=data)


def _step_assignment(a: CallAssignment, action: str, *, actor, note: str = "", data=None, **changes) -> None:
    from_state = a.state
    a.state = check_summons_step(from_state, action)
    for name, value in changes.items():
        setattr(a, name, value)
    a.save(update_fields=["state", *changes])
    audit.record(a, action, actor=actor, from_state=from_state, to_state=a.state, note=note, data=data)


# --- call --------------------------------------------------------------------------------------------


def do_raise_call(
    *,
    actor,
    caller_code: str,
    subject: str,
    body: str,
    type: str = WhistleType.ROUTINE,  # noqa: A002 - the contract's name
    parent: Call | None = None,
    idempotency_key: str = "",
) -> Call:
    """A street (or a district) calls the centre above it for what it cannot solve with its own units."""
    errors = {}
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        errors["subject"] = "必填 / required"
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = "太长 / too long"
    if not body:
        errors["body"] = "请说明为何本级无法解决 / say why it cannot be solved at this level"
    if type not in WhistleType.values:
        errors["type"] = "取值无效 / not a valid choice"
    caller = Division.objects.filter(code=Division.full_code((caller_code or "").strip())[:12]).first()
    if caller is None:
        errors["caller"] = "not_found"
    if errors:
        raise ValidationFailed("呼叫无效 / Invalid call", fields=errors)
    if not acts_for_caller(actor, caller):
        raise Forbidden("只能为本街乡或本区县呼叫 / You may call only for your own street or district")
    centre = centre_of(caller)
    key = (idempotency_key or "").strip()[:80]
    if key:
        existing = Call.objects.filter(raised_by=actor, idempotency_key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            call = Call.objects.create(
                caller=caller,
                centre=centre,
                level=CallLevel.CITY if centre.level == "city" else CallLevel.COUNTY,
                type=type,
                subject=subject,
                body=body,
                parent=parent,
                raised_by=actor,
                idempotency_key=key,
            )
            audit.record(
                call,
                "raise",
                actor=actor,
                to_state=call.state,
                note=body,
                data={"caller": caller.code, "centre": centre.code, "parent": parent.pk if parent else None},
            )
            notify_on_commit(
                centre_staff(centre),
                msg(N_("%(caller)s calls up: %(subject)s"), caller=caller.name, subject=subject),
                call_url(call.pk),
            )
    except IntegrityError:
        return Call.objects.get(raised_by=actor, idempotency_key=key)
    return call


def centre_units(centre: Division):
    return Unit.objects.filter(
        division=centre, is_active=True, kind__in=CENTRE_UNIT_KINDS.get(centre.level, ())
    ).order_by("code")


def _centre_units(codes: list[str], centre: Division, field: str) -> list[Unit]:
    units = {u.code: u for u in centre_units(centre).filter(code__in=codes)}
    missing = [c for c in codes if c not in units]
    if missing:
        raise ValidationFailed(
            f"不是本中心的部门：{', '.join(missing)} / Not a department of this centre: {', '.join(missing)}",
            fields={field: "not_found"},
        )
    return [units[c] for c in codes]


def _new_assignment(call: Call, unit: Unit, role: str, now, *, actor, note: str = "") -> CallAssignment:
    d = deadlines.summons_deadlines(now, whistle_type=call.type)
    a = CallAssignment.objects.create(
        call=call,
        unit=unit,
        role=role,
        assigned_at=now,
        report_in_due=d.report_in_due,
        report_in_warn_at=d.report_in_warn_at,
        finish_due=d.finish_due,
        finish_warn_at=d.finish_warn_at,
    )
    audit.record(
        a, "assign", actor=actor, to_state=a.state, note=note, data={"unit": unit.code, "role": role}
    )
    notify_on_commit(
        people.unit_staff([unit.pk]),
        msg(
            N_("%(caller)s's call is assigned to you: %(subject)s. Report in by %(due)s"),
            caller=call.caller.name,
            subject=call.subject,
            due=f"{timezone.localtime(d.report_in_due):%m-%d %H:%M}",
        ),
        call_url(call.pk),
    )
    return a


def do_assign(
    *,
    actor,
    call_id: int,
    lead_unit_code: str,
    supporting_unit_codes: list[str] | None = None,
    note: str = "",
) -> Call:
    """The centre assigns its departments: one lead, any supporting; each gets report-in and finish clocks."""
    if not (lead_unit_code or "").strip():
        raise ValidationFailed(
            "请选择主责部门 / Choose the lead department", fields={"lead_unit": "required"}
        )
    with transaction.atomic():
        call = lock_call(actor, call_id)
        require_centre(actor, call)
        check_call_step(call.state, "assign")
        lead = _centre_units([lead_unit_code.strip()], call.centre, "lead_unit")[0]
        codes = [c for c in dict.fromkeys((c or "").strip() for c in (supporting_unit_codes or [])) if c]
        supporting = [u for u in _centre_units(codes, call.centre, "supporting_units") if u.pk != lead.pk]
        now = timezone.now()
        _step_call(
            call,
            "assign",
            actor=actor,
            note=note,
            data={"lead": lead.code, "supporting": [u.code for u in supporting]},
            assigned_at=now,
        )
        _new_assignment(call, lead, SummonsRole.LEAD, now, actor=actor, note=note)
        for unit in supporting:
            _new_assignment(call, unit, SummonsRole.SUPPORTING, now, actor=actor, note=note)
    return call


def do_call_up(*, actor, call_id: int, note: str) -> Call:
    """The county centre carries a township's call up to the city (what its departments cannot solve).
    The township's call waits (called_up); the city's verified result feeds it back."""
    if not (note or "").strip():
        raise ValidationFailed(
            "请说明为何需要市级解决 / Say why the city is needed", fields={"note": "required"}
        )
    with transaction.atomic():
        call = lock_call(actor, call_id)
        require_centre(actor, call)
        if call.centre.level != "district":
            raise Conflict(
                "市级呼叫不能再上呼 / A call to the city cannot be called further up", code="top_level"
            )
        check_call_step(call.state, "call_up")
        open_assignments = call.assignments.exclude(state__in=DONE_SUMMONS_STATES)
        for a in CallAssignment.objects.select_for_update().filter(pk__in=open_assignments.values("pk")):
            # Withdrawn the way a dispute is upheld: the county's departments are no longer asked.
            if a.state == SummonsState.SUMMONED:
                _step_assignment(a, "dispute", actor=actor, note=note)
            if a.state == SummonsState.DISPUTED:
                _step_assignment(a, "uphold", actor=actor, note=note, data={"called_up": True})
            resolve_orders(a, None, timezone.now())
        child = do_raise_call(
            actor=actor,
            caller_code=call.centre.code,
            subject=call.subject,
            body=f"{note.strip()}\n\n{call.body}",
            type=call.type,
            parent=call,
        )
        _step_call(call, "call_up", actor=actor, note=note, data={"child": child.pk})
    return call


# --- the departments -----------------------------------------------------------------------------------


def do_report_in(*, actor, assignment_id: int) -> CallAssignment:
    with transaction.atomic():
        call, a = lock_assignment(actor, assignment_id)
        require_unit(actor, a)
        now = timezone.now()
        _step_assignment(a, "report_in", actor=actor, reported_in_at=now)
        resolve_orders(a, "report_in", now)
        if call.state == CallState.ASSIGNED:
            _step_call(call, "report_in", actor=actor, data={"unit": a.unit.code})
        notify_on_commit(
            caller_staff(call.caller) + centre_staff(call.centre),
            msg(N_("%(unit)s reported in (call #%(call)s)"), unit=a.unit.name, call=call.pk),
            call_url(call.pk),
            email=False,
        )
    return a


def do_dispute(*, actor, assignment_id: int, reason: str) -> CallAssignment:
    """ "Not ours": the department disputes with a reason; the centre arbitrates."""
    if not (reason or "").strip():
        raise ValidationFailed("请说明异议理由 / Give a reason", fields={"reason": "required"})
    with transaction.atomic():
        call, a = lock_assignment(actor, assignment_id)
        require_unit(actor, a)
        _step_assignment(a, "dispute", actor=actor, note=reason, dispute_reason=reason.strip())
        resolve_orders(a, "report_in", timezone.now())  # it answered: the centre now owes the decision
        notify_on_commit(
            centre_staff(call.centre),
            msg(N_("%(unit)s disputes call #%(call)s: to arbitrate"), unit=a.unit.name, call=call.pk),
            call_url(call.pk),
        )
    return a


def do_arbitrate(
    *, actor, assignment_id: int, decision: str, reassign_to: str | None = None, note: str = ""
) -> CallAssignment:
    """uphold: withdrawn (a lead's dispute needs a new lead department); reject: it must act, as reported
    in, with a fresh finish clock."""
    if decision not in ("uphold", "reject"):
        raise ValidationFailed(
            "裁定须为 uphold 或 reject / Decision must be uphold or reject", fields={"decision": "invalid"}
        )
    with transaction.atomic():
        call, a = lock_assignment(actor, assignment_id)
        require_centre(actor, call)
        check_summons_step(a.state, decision)
        now = timezone.now()
        if decision == "uphold":
            if a.role == SummonsRole.LEAD and not reassign_to:
                raise ValidationFailed(
                    "主责部门异议成立时须指定新的主责部门 / Upholding the lead's dispute needs a new lead",
                    fields={"reassign_to": "required"},
                )
            new_unit = _centre_units([reassign_to], call.centre, "reassign_to")[0] if reassign_to else None
            if new_unit is not None and new_unit.pk == a.unit_id:
                raise ValidationFailed(
                    "不能改派给提出异议的部门 / Not to the disputing department",
                    fields={"reassign_to": "same_unit"},
                )
            _step_assignment(a, "uphold", actor=actor, note=note, data={"reassign_to": reassign_to})
            resolve_orders(a, None, now)
            if new_unit is not None:
                _new_assignment(call, new_unit, a.role, now, actor=actor, note=note)
        else:
            due, warn = deadlines.restart_finish(now, whistle_type=call.type)
            _step_assignment(
                a, "reject", actor=actor, note=note, reported_in_at=now, finish_due=due, finish_warn_at=warn
            )
            restart_finish_stages(a.pk)
            if call.state == CallState.ASSIGNED:
                _step_call(call, "report_in", actor=actor, data={"unit": a.unit.code, "by": "arbitration"})
        audit.record(call, f"arbitrate_{decision}", actor=actor, note=note, data={"assignment": a.pk})
        notify_on_commit(
            people.unit_staff([a.unit_id]),
            msg(N_("Call #%(call)s: your dispute was decided"), call=call.pk),
            call_url(call.pk),
        )
    return a


def do_finish(*, actor, assignment_id: int, note: str) -> CallAssignment:
    """A department finishes its part; the lead's finish (every supporting one done) feeds the result back
    to the caller."""
    if not (note or "").strip():
        raise ValidationFailed("请填写办理结果 / Describe the result", fields={"note": "required"})
    with transaction.atomic():
        call, a = lock_assignment(actor, assignment_id)
        require_unit(actor, a)
        check_summons_step(a.state, "finish")
        if a.role == SummonsRole.LEAD:
            pending = (
                CallAssignment.objects.filter(call=call)
                .exclude(pk=a.pk)
                .exclude(state__in=DONE_SUMMONS_STATES)
            )
            if pending.exists():
                names = "、".join(p.unit.name for p in pending.select_related("unit"))
                raise Conflict(
                    f"配合部门尚未办结：{names} / Supporting departments have not finished",
                    code="supporting_pending",
                )
        now = timezone.now()
        _step_assignment(a, "finish", actor=actor, note=note, finished_at=now, result=note.strip())
        resolve_orders(a, None, now)
        if a.role == SummonsRole.LEAD:
            _feed_back(call, actor=actor, note=note.strip(), now=now)
    return a


def do_request_extension(*, actor, assignment_id: int, days: int, reason: str) -> CallExtensionRequest:
    """The department asks the centre for more working days to finish (the whistles' rule: 1 to
    MAX_EXTENSION_DAYS working days, a reason, one pending request at a time)."""
    days = checked_extension(days, reason)
    with transaction.atomic():
        call, a = lock_assignment(actor, assignment_id)
        require_unit(actor, a)
        if a.state not in ACTIVE_SUMMONS_STATES:
            raise Conflict(
                "该派单不能申请延期 / This assignment cannot be extended", code="illegal_transition"
            )
        if CallExtensionRequest.objects.filter(assignment=a, state=ExtensionState.PENDING).exists():
            raise Conflict(
                "已有待审批的延期申请 / An extension request is already pending", code="pending_extension"
            )
        proposed = add_working_days(a.finish_due, days)
        try:
            with transaction.atomic():
                ext = CallExtensionRequest.objects.create(
                    assignment=a, days=days, reason=reason.strip(), proposed_due=proposed, requested_by=actor
                )
        except IntegrityError:
            raise Conflict(
                "已有待审批的延期申请 / An extension request is already pending", code="pending_extension"
            ) from None
        audit.record(
            a,
            "request_extension",
            actor=actor,
            note=reason.strip(),
            data={"extension": ext.pk, "days": days, "proposed_due": proposed.isoformat()},
        )
        notify_on_commit(
            centre_staff(call.centre),
            msg(
                N_("%(unit)s asks for %(days)s more working days (call #%(call)s)"),
                unit=a.unit.name,
                days=days,
                call=call.pk,
            ),
            call_url(call.pk),
        )
    return ext


def do_decide_extension(*, actor, extension_id: int, grant: bool, note: str = "") -> CallExtensionRequest:
    """The centre decides. Granted: the finish deadline moves by the working days asked for (from the
    deadline as it stands now), its warning and overdue stages start again, a passed deadline's supervision
    order resolves when the new one is ahead."""
    ext = access_extension(actor, extension_id)
    with transaction.atomic():
        call, a = lock_assignment(actor, ext.assignment_id)
        ext = CallExtensionRequest.objects.select_for_update().get(pk=ext.pk)
        require_centre(actor, call)
        if ext.state != ExtensionState.PENDING:
            raise Conflict("该延期申请已处理 / This request was already decided", code="illegal_transition")
        now = timezone.now()
        ext.state = ExtensionState.GRANTED if grant else ExtensionState.REFUSED
        ext.decided_by, ext.decided_at, ext.decision_note = actor, now, (note or "").strip()
        data = {"extension": ext.pk, "days": ext.days, "granted": bool(grant)}
        if grant:
            old_due = a.finish_due
            start = deadlines.clock_start(a.finish_due, a.finish_warn_at)
            due, warn = deadlines.extend_finish(a.finish_due, ext.days, start=start)
            a.finish_due, a.finish_warn_at = due, warn
            a.extension_days += ext.days
            a.save(update_fields=["finish_due", "finish_warn_at", "extension_days"])
            restart_finish_stages(a.pk, warning=warn > now, overdue=due > now)
            if due > now:
                resolve_orders(a, "finish", now)
            ext.proposed_due = due
            data.update(old_finish_due=old_due.isoformat(), finish_due=due.isoformat())
        ext.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "proposed_due"])
        audit.record(
            a, "extension_granted" if grant else "extension_refused", actor=actor, note=note, data=data
        )
        notify_on_commit(
            people.unit_staff([a.unit_id]),
            msg(
                N_("Extension granted (call #%(call)s)")
                if grant
                else N_("Extension refused (call #%(call)s)"),
                call=call.pk,
            ),
            call_url(call.pk),
        )
    return ext


def _feed_back(call: Call, *, actor, note: str, now) -> None:
    _step_call(call, "feed_back", actor=actor, note=note, fed_back_at=now, result=note)
    notify_on_commit(
        caller_staff(call.caller),
        msg(N_("Call #%(call)s was answered: please verify and rate"), call=call.pk),
        call_url(call.pk),
    )


# --- the caller verifies and rates -------------------------------------------------------------------------


def do_verify(*, actor, call_id: int, passed: bool, note: str = "", ratings: dict | None = None) -> Call:
    """The caller checks the result. Passed: each assigned department (not withdrawn) is rated 1–5 and the
    call closes (a call carried up feeds its parent back). Failed: the lead department reworks with a fresh
    finish clock, or — for a call the level above answered — the call returns to the centre's queue."""
    with transaction.atomic():
        call = lock_call(actor, call_id)
        require_caller(actor, call)
        now = timezone.now()
        rated = list(
            call.assignments.exclude(state=SummonsState.WITHDRAWN)
            .select_related("unit")
            .order_by("role", "id")
        )
        if passed:
            scores = _scores(ratings or {}, rated)
            _step_call(call, "verify_pass", actor=actor, note=note, closed_at=now)
            CallRating.objects.bulk_create(
                [
                    CallRating(
                        call=call, unit=a.unit, score=scores[a.unit.code], rated_by=actor, rated_at=now
                    )
                    for a in rated
                ]
            )
            audit.record(call, "rate", actor=actor, data={"ratings": scores})
            if call.parent_id:
                parent = Call.objects.select_for_update().get(pk=call.parent_id)
                if parent.state == CallState.CALLED_UP:
                    _feed_back(parent, actor=actor, note=call.result or note, now=now)
        else:
            lead = next(
                (a for a in rated if a.role == SummonsRole.LEAD and a.state == SummonsState.FINISHED), None
            )
            if lead is None:
                _step_call(call, "verify_fail_up", actor=actor, note=note, rework_count=call.rework_count + 1)
                notify_on_commit(
                    centre_staff(call.centre),
                    msg(N_("Call #%(call)s failed verification"), call=call.pk),
                    call_url(call.pk),
                )
            else:
                _step_call(call, "verify_fail", actor=actor, note=note, rework_count=call.rework_count + 1)
                lead = CallAssignment.objects.select_for_update().get(pk=lead.pk)
                due, warn = deadlines.restart_finish(now, whistle_type=call.type)
                _step_assignment(
                    lead,
                    "rework",
                    actor=actor,
                    note=note,
                    finished_at=None,
                    finish_due=due,
                    finish_warn_at=warn,
                )
                restart_finish_stages(lead.pk)
                notify_on_commit(
                    people.unit_staff([lead.unit_id]),
                    msg(N_("Call #%(call)s failed verification: rework"), call=call.pk),
                    call_url(call.pk),
                )
    return call


def _scores(ratings: dict, rated: list[CallAssignment]) -> dict[str, int]:
    out, errors = {}, {}
    for a in rated:
        raw = ratings.get(a.unit.code)
        try:
            score = int(raw)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            errors[f"ratings.{a.unit.code}"] = "请为该部门打1-5分 / rate this department 1 to 5"
        out[a.unit.code] = score
    unknown = set(ratings) - {a.unit.code for a in rated}
    for code in unknown:
        errors[f"ratings.{code}"] = "未派单给该部门 / this department was not assigned"
    if errors:
        raise ValidationFailed("请为每个部门评分 / Rate every assigned department", fields=errors)
    return out


__all__ = [
    "do_arbitrate",
    "do_assign",
    "do_call_up",
    "do_decide_extension",
    "do_dispute",
    "do_finish",
    "do_raise_call",
    "do_report_in",
    "do_request_extension",
    "do_verify",
]
