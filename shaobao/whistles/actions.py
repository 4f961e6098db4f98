"""Writes of the whistle workflow: blow, report in, dispute, arbitrate, progress, extension, finish, verify.

One write path (STYLE.md): each do_* locks the whistle and then the summons (always in that order),
checks the transition tables in `states` and the actor's role and organisation, writes the new
states and audit events in one transaction and queues the notifications after commit. An illegal
step raises Conflict and writes nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.core import audit, events
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.notifications import msg, notify_on_commit
from shaobao.duties.selectors import matter_in_force, rule_for
from shaobao.intake import people
from shaobao.intake.access import access_demand
from shaobao.intake.actions import emit_demand, public_text
from shaobao.intake.actions import transition as demand_transition
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.uploads import checked_photo
from shaobao.whistles import deadlines
from shaobao.whistles.access import access_extension, lock_summons, lock_whistle
from shaobao.whistles.models import (
    ExtensionRequest,
    ExtensionState,
    ProgressNote,
    Summons,
    SummonsRole,
    SummonsState,
    Whistle,
    WhistleState,
    WhistleType,
)
from shaobao.whistles.states import (
    ACTIVE_SUMMONS_STATES,
    DONE_SUMMONS_STATES,
    check_summons_step,
)
from shaobao.whistles.steps import (
    _new_summons,
    _require_district,
    _require_street,
    _require_unit,
    _resolve_orders,
    _step_summons,
    _step_whistle,
    _units_in_district,
    check_summonable,
    whistle_url,
)
from shaobao.whistles.supervision import restart_finish_stages

MAX_EXTENSION_DAYS = 30


# --- blow ----------------------------------------------------------------------------------------


def do_blow_whistle(
    *,
    actor,
    demand_ids,
    type: str,  # noqa: A002 - the contract's name
    matter_code: str,
    lead_unit_code: str | None = None,
    supporting_unit_codes: list[str] | None = None,
    note: str = "",
) -> Whistle:
    """The street summons the units for one problem (one or more demands of its own, awaiting triage).

    Lead and supporting units default to the duty list in force (with the street's override) and can
    be changed; each unit gets a summons with report-in and finish deadlines.
    """
    if type not in WhistleType.values:
        raise ValidationFailed("哨类型无效 / Unknown whistle type", fields={"type": "invalid"})
    ids = sorted({int(i) for i in (demand_ids or [])})
    if not ids:
        raise ValidationFailed("请选择诉求 / Choose at least one demand", fields={"demands": "required"})
    with transaction.atomic():
        for pk in ids:
            access_demand(actor, pk)
        demands = list(Demand.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        streets = {d.street_id for d in demands}
        if len(streets) != 1 or None in streets:
            raise ValidationFailed(
                "只能为本街乡同一街乡的诉求吹哨 / All demands must be placed in one street",
                fields={"demands": "mixed_streets"},
            )
        street = demands[0].street
        if not (actor.is_superuser or people.acts_for_street(actor, street)):
            raise Forbidden("只能为本街乡的诉求吹哨 / You may whistle only for your own street")
        for d in demands:
            if d.state not in (DemandState.RECEIVED, DemandState.REOPENED):
                raise Conflict(
                    f"诉求 {d.tracking_code} 不在待分拨状态 / Demand {d.tracking_code} is not awaiting triage",
                    code="illegal_transition",
                )
        district = street.parent
        matter = matter_in_force(matter_code, district) if district else None
        if matter is None:
            raise ValidationFailed(
                f"事项 {matter_code} 不在现行清单中 / Matter {matter_code} is not in the duty list in force",
                fields={"matter_code": "not_found"},
            )
        rule = rule_for(matter, street)
        prefix = district.prefix
        lead = (
            _units_in_district([lead_unit_code], prefix, "lead_unit")[0] if lead_unit_code else rule.lead_unit
        )
        if supporting_unit_codes is None:
            supporting = list(rule.supporting_units)
        else:
            codes = list(dict.fromkeys(c for c in supporting_unit_codes if c))
            supporting = _units_in_district(codes, prefix, "supporting_units")
        supporting = [u for u in supporting if u.pk != lead.pk]
        check_summonable([lead], street, rule, "lead_unit")
        check_summonable(supporting, street, rule, "supporting_units")
        now = timezone.now()
        whistle = Whistle.objects.create(
            street=street, type=type, matter=matter, note=note, blown_by=actor, blown_at=now
        )
        whistle.demands.set(demands)
        audit.record(
            whistle,
            "blow",
            actor=actor,
            to_state=whistle.state,
            note=note,
            data={
                "type": type,
                "matter": matter.code,
                "demands": [d.tracking_code for d in demands],
                "lead": lead.code,
                "supporting": [u.code for u in supporting],
                "rule_lead": rule.lead_unit.code,
            },
        )
        lead_summons = _new_summons(whistle, lead, SummonsRole.LEAD, now, actor=actor, note=note, rule=rule)
        for unit in supporting:
            _new_summons(whistle, unit, SummonsRole.SUPPORTING, now, actor=actor, note=note, rule=rule)
        for d in demands:
            demand_transition(
                d,
                "blow_whistle",
                actor=actor,
                note=note,
                data={"whistle": whistle.pk},
                matter=d.matter or matter,
                due_at=lead_summons.finish_due,
            )
        # What the dispatcher chose against what routing proposed: acceptance figures and training data.
        from shaobao.routing.services import record_outcome

        for d in demands:
            record_outcome(
                demand=d, proposal=None, chosen_matter=matter, chosen_units=[lead, *supporting], actor=actor
            )
        if events.has_subscribers(events.WHISTLE_BLOWN):
            events.emit_on_commit(
                events.WHISTLE_BLOWN,
                whistle_id=whistle.pk,
                type=type,
                street=street.code,
                matter=matter.code,
                demands=[d.tracking_code for d in demands],
                lead=lead.code,
                supporting=[u.code for u in supporting],
                report_in_due=lead_summons.report_in_due.isoformat() if lead_summons.report_in_due else None,
                finish_due=lead_summons.finish_due.isoformat() if lead_summons.finish_due else None,
            )
    return whistle


# --- the units -----------------------------------------------------------------------------------


def do_report_in(*, actor, summons_id: int) -> Summons:
    """The unit acknowledges the whistle; the first report-in starts the whistle's handling."""
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_unit(actor, summons)
        now = timezone.now()
        _step_summons(summons, "report_in", actor=actor, reported_in_at=now)
        _resolve_orders(summons, "report_in", now)
        if whistle.state == WhistleState.BLOWN:
            _step_whistle(whistle, "report_in", actor=actor, data={"unit": summons.unit.code})
        notify_on_commit(
            people.street_staff(whistle.street_id),
            msg(
                N_("%(unit)s reported in (whistle #%(whistle)s)"), unit=summons.unit.name, whistle=whistle.pk
            ),
            whistle_url(whistle.pk),
            email=False,
        )
    return summons


def do_dispute(*, actor, summons_id: int, reason: str) -> Summons:
    """ "Not ours": the unit disputes the summons with a reason; the district coordinator arbitrates."""
    if not (reason or "").strip():
        raise ValidationFailed("请说明异议理由 / Give a reason", fields={"reason": "required"})
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_unit(actor, summons)
        _step_summons(summons, "dispute", actor=actor, note=reason, dispute_reason=reason.strip())
        _resolve_orders(summons, "report_in", timezone.now())
        notify_on_commit(
            people.coordinators(whistle.street) + people.street_staff(whistle.street_id),
            msg(
                N_("%(unit)s disputes whistle #%(whistle)s: to arbitrate"),
                unit=summons.unit.name,
                whistle=whistle.pk,
            ),
            whistle_url(whistle.pk),
        )
    return summons


def do_arbitrate(
    *, actor, summons_id: int, decision: str, reassign_to: str | None = None, note: str = ""
) -> Summons:
    """The coordinator decides a dispute.

    uphold: the summons is withdrawn; with `reassign_to` that unit is summoned instead (and takes the
    lead role if the disputer was the lead — a lead dispute can only be upheld with a new lead).
    reject: the unit must act; it counts as reported in, with a fresh finish deadline from now.
    """
    if decision not in ("uphold", "reject"):
        raise ValidationFailed(
            "裁定须为 uphold 或 reject / Decision must be uphold or reject", fields={"decision": "invalid"}
        )
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_district(actor, whistle)
        check_summons_step(summons.state, decision)
        now = timezone.now()
        result = None
        if decision == "uphold":
            if summons.role == SummonsRole.LEAD and not reassign_to:
                raise ValidationFailed(
                    "主责单位异议成立时须指定新的主责单位 / Upholding the lead's dispute needs a new lead unit",
                    fields={"reassign_to": "required"},
                )
            new_unit = None
            if reassign_to:
                new_unit = _units_in_district([reassign_to], whistle.street.parent.prefix, "reassign_to")[0]
                check_summonable(
                    [new_unit], whistle.street, rule_for(whistle.matter, whistle.street), "reassign_to"
                )
                if new_unit.pk == summons.unit_id:
                    raise ValidationFailed(
                        "不能改派给提出异议的单位 / Cannot reassign to the disputing unit",
                        fields={"reassign_to": "same_unit"},
                    )
            _step_summons(summons, "uphold", actor=actor, note=note, data={"reassign_to": reassign_to})
            _resolve_orders(summons, None, now)
            if new_unit is not None:
                existing = (
                    Summons.objects.select_for_update()
                    .filter(whistle=whistle, unit=new_unit)
                    .exclude(state=SummonsState.WITHDRAWN)
                    .first()
                )
                if existing is not None:
                    if summons.role != SummonsRole.LEAD:
                        raise ValidationFailed(
                            "该单位已被召集 / That unit is already summoned",
                            fields={"reassign_to": "already_summoned"},
                        )
                    existing.role = SummonsRole.LEAD
                    existing.save(update_fields=["role"])
                    audit.record(
                        existing,
                        "promote_to_lead",
                        actor=actor,
                        note=note,
                        data={"replaces": summons.unit.code},
                    )
                    result = existing
                else:
                    result = _new_summons(whistle, new_unit, summons.role, now, actor=actor, note=note)
        else:
            rule = rule_for(whistle.matter, whistle.street)
            due, warn = deadlines.restart_finish(
                now,
                whistle_type=whistle.type,
                time_limit=rule.time_limit,
                time_limit_unit=rule.time_limit_unit,
            )
            _step_summons(
                summons,
                "reject",
                actor=actor,
                note=note,
                reported_in_at=now,
                finish_due=due,
                finish_warn_at=warn,
            )
            restart_finish_stages(summons.pk)
            if whistle.state == WhistleState.BLOWN:
                _step_whistle(
                    whistle, "report_in", actor=actor, data={"unit": summons.unit.code, "by": "arbitration"}
                )
        audit.record(
            whistle,
            f"arbitrate_{decision}",
            actor=actor,
            note=note,
            data={"summons": summons.pk, "unit": summons.unit.code, "reassign_to": reassign_to},
        )
        text = (
            N_("dispute upheld, summons withdrawn")
            if decision == "uphold"
            else N_("dispute rejected, handle it at once")
        )
        notify_on_commit(
            people.unit_staff([summons.unit_id]) + people.street_staff(whistle.street_id),
            msg(
                N_("Whistle #%(whistle)s: %(unit)s's dispute decided: %(t_decision)s"),
                whistle=whistle.pk,
                unit=summons.unit.name,
                t_decision=text,
            ),
            whistle_url(whistle.pk),
        )
    return result or summons


def do_record_progress(*, actor, summons_id: int, note: str, photo=None) -> ProgressNote:
    """What the unit did (notes, a photo), on the whistle's timeline."""
    if not (note or "").strip():
        raise ValidationFailed("请填写进展 / Write what was done", fields={"note": "required"})
    file = checked_photo(photo, field="photo") if photo else None
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_unit(actor, summons)
        if summons.state != SummonsState.REPORTED_IN:
            raise Conflict(
                "报到后才能记录进展 / Report in before recording progress", code="illegal_transition"
            )
        entry = ProgressNote.objects.create(
            summons=summons, author=actor, note=note.strip(), photo=file or ""
        )
        audit.record(summons, "progress", actor=actor, note=note.strip(), data={"photo": bool(file)})
    return entry


def checked_extension(days, reason) -> int:
    """An extension request's own rule (whistles and calls up): 1 to MAX_EXTENSION_DAYS working days and a
    reason. The days as an int; ValidationFailed naming the fields otherwise."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    errors = {}
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        errors["days"] = f"延期天数须为1-{MAX_EXTENSION_DAYS}个工作日 / 1-{MAX_EXTENSION_DAYS} working days"
    if not (reason or "").strip():
        errors["reason"] = "请说明理由 / Give a reason"
    if errors:
        raise ValidationFailed("延期申请无效 / Invalid extension request", fields=errors)
    return days


def do_request_extension(*, actor, summons_id: int, days: int, reason: str) -> ExtensionRequest:
    """The unit asks for more working days; the coordinator decides (one pending request at a time)."""
    days = checked_extension(days, reason)
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_unit(actor, summons)
        if summons.state not in ACTIVE_SUMMONS_STATES:
            raise Conflict(
                "该报到单不能申请延期 / This summons cannot be extended", code="illegal_transition"
            )
        if ExtensionRequest.objects.filter(summons=summons, state=ExtensionState.PENDING).exists():
            raise Conflict(
                "已有待审批的延期申请 / An extension request is already pending", code="pending_extension"
            )
        try:
            with transaction.atomic():
                ext = ExtensionRequest.objects.create(
                    summons=summons, days=days, reason=reason.strip(), requested_by=actor
                )
        except IntegrityError:
            raise Conflict(
                "已有待审批的延期申请 / An extension request is already pending", code="pending_extension"
            ) from None
        audit.record(
            summons,
            "request_extension",
            actor=actor,
            note=reason.strip(),
            data={"extension": ext.pk, "days": days},
        )
        notify_on_commit(
            people.coordinators(whistle.street),
            msg(
                N_("%(unit)s asks for %(days)s more working days (whistle #%(whistle)s)"),
                unit=summons.unit.name,
                days=days,
                whistle=whistle.pk,
            ),
            whistle_url(whistle.pk),
        )
    return ext


def do_decide_extension(*, actor, extension_id: int, grant: bool, note: str = "") -> ExtensionRequest:
    """Granted: the finish deadline moves by the working days asked for (warnings start again)."""
    ext = access_extension(actor, extension_id)
    with transaction.atomic():
        whistle, summons = lock_summons(actor, ext.summons_id)
        ext = ExtensionRequest.objects.select_for_update().get(pk=ext.pk)
        _require_district(actor, whistle)
        if ext.state != ExtensionState.PENDING:
            raise Conflict("该延期申请已处理 / This request was already decided", code="illegal_transition")
        now = timezone.now()
        ext.state = ExtensionState.GRANTED if grant else ExtensionState.REFUSED
        ext.decided_by, ext.decided_at, ext.decision_note = actor, now, note
        ext.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        data = {"extension": ext.pk, "days": ext.days, "granted": bool(grant)}
        if grant:
            old_due = summons.finish_due
            start = deadlines.clock_start(summons.finish_due, summons.finish_warn_at)
            due, warn = deadlines.extend_finish(summons.finish_due, ext.days, start=start)
            summons.finish_due, summons.finish_warn_at = due, warn
            summons.extension_days += ext.days
            summons.save(update_fields=["finish_due", "finish_warn_at", "extension_days"])
            restart_finish_stages(summons.pk, warning=warn > now, overdue=due > now)
            if due > now:
                _resolve_orders(summons, "finish", now)
            data.update(old_finish_due=old_due.isoformat(), finish_due=due.isoformat())
            if summons.role == SummonsRole.LEAD:
                # The demands' due date follows the lead unit's granted deadline (on-time rates use it).
                Demand.objects.filter(pk__in=whistle.demands.values("pk"), state=DemandState.WHISTLED).update(
                    due_at=due
                )
        audit.record(
            summons, "extension_granted" if grant else "extension_refused", actor=actor, note=note, data=data
        )
        notify_on_commit(
            people.unit_staff([summons.unit_id]),
            msg(
                N_("Extension granted (whistle #%(whistle)s)")
                if grant
                else N_("Extension refused (whistle #%(whistle)s)"),
                whistle=whistle.pk,
            ),
            whistle_url(whistle.pk),
        )
    return ext


def do_finish(*, actor, summons_id: int, note: str) -> Summons:
    """A unit finishes its part. The lead unit's finish feeds the result back to the street, and is
    allowed only when every supporting summons is finished or withdrawn (one complete result)."""
    if not (note or "").strip():
        raise ValidationFailed("请填写办理结果 / Describe the result", fields={"note": "required"})
    with transaction.atomic():
        whistle, summons = lock_summons(actor, summons_id)
        _require_unit(actor, summons)
        check_summons_step(summons.state, "finish")
        now = timezone.now()
        if summons.role == SummonsRole.LEAD:
            pending = (
                Summons.objects.filter(whistle=whistle)
                .exclude(pk=summons.pk)
                .exclude(state__in=DONE_SUMMONS_STATES)
                .select_related("unit")
            )
            if pending:
                names = "、".join(s.unit.name for s in pending)
                raise Conflict(
                    f"配合单位尚未办结：{names} / Supporting units have not finished yet",
                    code="supporting_pending",
                )
        _step_summons(summons, "finish", actor=actor, note=note, finished_at=now)
        ProgressNote.objects.create(summons=summons, author=actor, note=note.strip())
        _resolve_orders(summons, None, now)
        if summons.role == SummonsRole.LEAD:
            _step_whistle(whistle, "feed_back", actor=actor, note=note, fed_back_at=now)
            if events.has_subscribers(events.DEMAND_REPLIED):
                for d in whistle.demands.filter(state=DemandState.WHISTLED).order_by("pk"):
                    emit_demand(
                        events.DEMAND_REPLIED,
                        d,
                        reply=public_text(note, d),
                        by="whistle",
                        whistle_id=whistle.pk,
                    )
            notify_on_commit(
                people.street_staff(whistle.street_id, ("street_dispatcher", "street_leader")),
                msg(N_("Whistle #%(whistle)s: the lead unit fed back, please verify"), whistle=whistle.pk),
                whistle_url(whistle.pk),
            )
        else:
            lead_ids = list(whistle.summonses.filter(role=SummonsRole.LEAD).values_list("unit_id", flat=True))
            notify_on_commit(
                people.unit_staff(lead_ids),
                msg(
                    N_("Supporting unit %(unit)s finished (whistle #%(whistle)s)"),
                    unit=summons.unit.name,
                    whistle=whistle.pk,
                ),
                whistle_url(whistle.pk),
                email=False,
            )
    return summons


# --- the street verifies ------------------------------------------------------------------------


def do_verify(*, actor, whistle_id: int, passed: bool, note: str = "") -> Whistle:
    """The street checks on site: closed (its demands close, awaiting callback) or back to the lead
    unit (rework, counted on the whistle and its demands; a fresh finish deadline)."""
    with transaction.atomic():
        whistle = lock_whistle(actor, whistle_id)
        _require_street(actor, whistle)
        now = timezone.now()
        if passed:
            _step_whistle(whistle, "verify_pass", actor=actor, note=note, closed_at=now)
            demands = list(
                Demand.objects.select_for_update().filter(pk__in=whistle.demands.values("pk")).order_by("pk")
            )
            for d in demands:
                if d.state == DemandState.WHISTLED:
                    demand_transition(
                        d,
                        "whistle_closed",
                        actor=actor,
                        note=note,
                        data={"whistle": whistle.pk},
                        closed_at=now,
                    )
                    emit_demand(
                        events.DEMAND_CLOSED,
                        d,
                        result=public_text(note, d),
                        by="whistle",
                        whistle_id=whistle.pk,
                    )
            notify_on_commit(
                people.street_staff(whistle.street_id, ("street_dispatcher",)),
                msg(N_("Whistle #%(whistle)s closed: please call the resident back"), whistle=whistle.pk),
                whistle_url(whistle.pk),
                email=False,
            )
        else:
            _step_whistle(
                whistle, "verify_fail", actor=actor, note=note, rework_count=whistle.rework_count + 1
            )
            lead = (
                Summons.objects.select_for_update()
                .filter(whistle=whistle, role=SummonsRole.LEAD, state=SummonsState.FINISHED)
                .first()
            )
            if lead is None:
                raise Conflict("找不到已办结的主责单位 / No finished lead summons", code="illegal_transition")
            rule = rule_for(whistle.matter, whistle.street)
            due, warn = deadlines.restart_finish(
                now,
                whistle_type=whistle.type,
                time_limit=rule.time_limit,
                time_limit_unit=rule.time_limit_unit,
            )
            _step_summons(
                lead,
                "rework",
                actor=actor,
                note=note,
                finished_at=None,
                finish_due=due,
                finish_warn_at=warn,
            )
            restart_finish_stages(lead.pk)
            for d in (
                Demand.objects.select_for_update().filter(pk__in=whistle.demands.values("pk")).order_by("pk")
            ):
                d.rework_count += 1
                d.save(update_fields=["rework_count"])
                audit.record(d, "rework", actor=actor, note=note, data={"whistle": whistle.pk})
            notify_on_commit(
                people.unit_staff([lead.unit_id]),
                msg(N_("Whistle #%(whistle)s failed verification: rework"), whistle=whistle.pk),
                whistle_url(whistle.pk),
            )
    return whistle


__all__ = [
    "NotFound",
    "do_arbitrate",
    "do_blow_whistle",
    "do_decide_extension",
    "do_dispute",
    "do_finish",
    "do_record_progress",
    "do_report_in",
    "do_request_extension",
    "do_verify",
]
