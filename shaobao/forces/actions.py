"""Writes of forces sent down: deployments, quotas, presence, the host's tasks, assessments.

Every do_* validates all of its input first (a ValidationFailed names each bad field, nothing written), then
writes in one transaction with the rows two users may race on locked, and an audit event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.core.notifications import notify_on_commit
from shaobao.forces import access
from shaobao.forces.models import (
    GRASSROOTS_KINDS,
    AssessmentRound,
    Assessor,
    AssessorKind,
    Cadre,
    CadreScore,
    CadreTask,
    Deployment,
    DeploymentMode,
    PresenceLog,
    Quota,
    TaskKind,
    TaskNote,
    TaskState,
    VillagePost,
    active_on_q,
    overlaps_q,
)
from shaobao.intake import actions as intake_actions
from shaobao.intake.models import Demand, DemandState
from shaobao.org.models import Division, Membership, Role, Unit
from shaobao.whistles.models import Whistle, WhistleState

MODES = frozenset(DeploymentMode.values)
ASSESSOR_KINDS = frozenset(AssessorKind.values)
HOST_LEVELS = {"street", "community"}
MAX_TEXT = {"post": 100, "host_enterprise": 100, "title": 200, "note": 2000}


def parse_day(value, field: str, errors: dict, *, required: bool = True) -> dt.date | None:
    """A date from a date or an ISO string; an error under `field` otherwise."""
    if value in (None, ""):
        if required:
            errors[field] = "必填 / This field is required"
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD / Date as YYYY-MM-DD"
        return None


def check_period(starts_on, ends_on, errors: dict, *, end_field: str = "ends_on") -> None:
    if starts_on and ends_on and ends_on < starts_on:
        errors[end_field] = "结束日期早于开始日期 / The period ends before it starts"


def _refuse(errors: dict, message: str = "输入有误 / Invalid input") -> None:
    if errors:
        raise ValidationFailed(message, fields=errors)


def _text(value, field: str, errors: dict, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = "必填 / This field is required"
    elif len(text) > MAX_TEXT.get(field, 2000):
        errors[field] = f"不超过{MAX_TEXT.get(field, 2000)}字 / Too long"
    return text


def _host(code, errors: dict, field: str = "host") -> Division | None:
    if not code:
        errors[field] = "必填 / This field is required"
        return None
    host = Division.objects.select_related("parent").filter(code=Division.full_code(str(code))).first()
    if host is None or host.level not in HOST_LEVELS:
        errors[field] = "请选择街乡或村社区 / Choose a street/township or a village/community"
        return None
    return host


# --- deployments ---------------------------------------------------------------------------------------


def do_create_deployment(
    *,
    actor,
    cadre_id,
    mode: str,
    host_code: str,
    starts_on,
    ends_on=None,
    post: str = "",
    duties: str = "",
    host_enterprise: str = "",
    village_post_id=None,
) -> Deployment:
    """Send a cadre (of a unit, or of the reserve pool) to a host for a period, in one of the six modes.

    A cadre is at one host at a time (periods of one cadre never overlap). A village post deployment fills a
    vacant post of the host village."""
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = "下沉方式无效 / Unknown mode"
    host = _host(host_code, errors)
    first = parse_day(starts_on, "starts_on", errors)
    last = parse_day(ends_on, "ends_on", errors, required=False)
    check_period(first, last, errors)
    post = _text(post, "post", errors)
    duties = _text(duties, "duties", errors)
    host_enterprise = _text(host_enterprise, "host_enterprise", errors)
    cadre = None
    try:
        cadre = Cadre.objects.select_related("district", "unit").filter(pk=int(cadre_id)).first()
    except (TypeError, ValueError):
        pass
    if cadre is None or not cadre.is_active:
        errors["cadre"] = "干部不存在或已停用 / Unknown or inactive cadre"
    if host is not None and cadre is not None and not host.code.startswith(cadre.district.prefix):
        errors["host"] = "只能下沉到本区 / Only to a host of the cadre's district"
    if host_enterprise and host is not None and host.level != "street":
        errors["host_enterprise"] = "企业须选择其所在街乡为驻地 / For an enterprise, the host is its street"
    village_post = None
    if mode == DeploymentMode.VILLAGE_POST:
        if village_post_id in (None, ""):
            errors["village_post"] = "到村任职须选择岗位 / A village post deployment needs the post"
        else:
            try:
                village_post = VillagePost.objects.filter(pk=int(village_post_id), is_active=True).first()
            except (TypeError, ValueError):
                village_post = None
            if village_post is None or (host is not None and village_post.village_id != host.pk):
                errors["village_post"] = "岗位不属于该村 / The post is not one of the host village"
    elif village_post_id not in (None, ""):
        errors["village_post"] = "只有到村任职才填岗位 / Only a village post deployment fills a post"
    _refuse(errors, "下沉信息有误 / Invalid deployment")
    if not access.may_deploy(actor, cadre):
        raise Forbidden("只有区级或干部所在单位领导可以派出 / Only the district or the cadre's unit leader")
    with transaction.atomic():
        Cadre.objects.select_for_update().get(pk=cadre.pk)
        far = last or dt.date.max
        if Deployment.objects.filter(cadre=cadre).filter(overlaps_q(first, far)).exists():
            raise ValidationFailed(
                "该干部在此期间已有下沉任务 / The cadre is already deployed in this period",
                fields={"cadre": "already_deployed"},
            )
        if village_post is not None:
            VillagePost.objects.select_for_update().get(pk=village_post.pk)
            if Deployment.objects.filter(village_post=village_post).filter(overlaps_q(first, far)).exists():
                raise ValidationFailed(
                    "该岗位在此期间已有人任职 / The post is filled in this period",
                    fields={"village_post": "filled"},
                )
            post = post or village_post.title
        deployment = Deployment.objects.create(
            cadre=cadre,
            unit=cadre.unit,
            mode=mode,
            host=host,
            host_enterprise=host_enterprise,
            village_post=village_post,
            post=post,
            duties=duties,
            starts_on=first,
            ends_on=last,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if cadre.user_id:
            Membership.objects.get_or_create(
                user_id=cadre.user_id, role=Role.DEPLOYED_CADRE, division=host, unit=None
            )
            notify_on_commit(
                [cadre.user_id], f"您已下沉到{host.name}：{post or deployment.get_mode_display()}"
            )
        audit.record(
            deployment,
            "deploy",
            actor=actor,
            data={
                "cadre": cadre.pk,
                "mode": mode,
                "host": host.code,
                "from": str(first),
                "to": str(last or ""),
            },
        )
    return deployment


def do_end_deployment(*, actor, deployment_id, ends_on=None, note: str = "") -> Deployment:
    """End a deployment on a day (today by default): the cadre goes back; the period stays on record."""
    errors: dict[str, str] = {}
    day = parse_day(ends_on, "ends_on", errors, required=False) or timezone.localdate()
    note = _text(note, "note", errors)
    _refuse(errors)
    with transaction.atomic():
        found = access.access_deployment(actor, deployment_id)
        if not access.may_end(actor, found):
            raise Forbidden("无权结束该下沉 / You may not end this deployment")
        deployment = Deployment.objects.select_for_update().select_related("host", "cadre").get(pk=found.pk)
        if deployment.ends_on is not None and deployment.ends_on <= day:
            raise Conflict("该下沉已结束 / This deployment has already ended", code="illegal_transition")
        if day < deployment.starts_on:
            raise ValidationFailed(
                "结束日期早于开始日期 / The period ends before it starts", fields={"ends_on": "before_start"}
            )
        deployment.ends_on = day
        deployment.end_note = note
        deployment.save(update_fields=["ends_on", "end_note"])
        user_id = deployment.cadre.user_id
        if user_id:
            still = Deployment.objects.filter(cadre__user_id=user_id, host=deployment.host).exclude(
                pk=deployment.pk
            )
            if not still.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day)).exists():
                Membership.objects.filter(
                    user_id=user_id, role=Role.DEPLOYED_CADRE, division=deployment.host
                ).delete()
        audit.record(deployment, "end_deployment", actor=actor, note=note, data={"ends_on": str(day)})
    return deployment


# --- quotas ---------------------------------------------------------------------------------------------


def do_set_quota(*, actor, unit_code: str, staff, share, starts_on, ends_on, note: str = "") -> Quota:
    """Record a unit's quota: `share` (0-1, or a percentage 1-100) of its `staff` in the field each day."""
    errors: dict[str, str] = {}
    unit = Unit.objects.select_related("division").filter(code=unit_code or "", is_active=True).first()
    if unit is None:
        errors["unit"] = "单位不存在 / Unknown unit"
    try:
        staff = int(staff)
        if staff < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["staff"] = "人数须为正整数 / A positive number of staff"
    try:
        share = Decimal(str(share))
        if share > 1:
            share = share / 100
        if not (0 < share <= 1):
            raise InvalidOperation
        share = share.quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError):
        errors["share"] = "比例须在0-100%之间 / A share between 0 and 100%"
    first = parse_day(starts_on, "starts_on", errors)
    last = parse_day(ends_on, "ends_on", errors)
    check_period(first, last, errors)
    note = _text(note, "note", errors)
    _refuse(errors, "指标信息有误 / Invalid quota")
    if not (access.decides_for(actor, unit.division) or access.leads_unit(actor, unit.pk)):
        raise Forbidden("只有区级或单位领导可以设定指标 / Only the district or the unit's leader")
    with transaction.atomic():
        quota = Quota.objects.create(
            unit=unit,
            staff=staff,
            share=share,
            starts_on=first,
            ends_on=last,
            note=note,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            quota, "set_quota", actor=actor, data={"unit": unit.code, "share": str(share), "staff": staff}
        )
    return quota


# --- presence (在岗) ------------------------------------------------------------------------------------


def do_log_presence(*, actor, note: str = "", deployment_id=None) -> tuple[PresenceLog, bool]:
    """ "Present today" at the host: once a day (a second tap keeps the first and adds its note).

    Returns (log, created)."""
    errors: dict[str, str] = {}
    note = _text(note, "note", errors)
    _refuse(errors)
    today = timezone.localdate()
    running = list(access.active_deployments_of(actor, today))
    if deployment_id not in (None, ""):
        running = [d for d in running if str(d.pk) == str(deployment_id)]
    if not running:
        raise Forbidden("您今天没有下沉任务 / You are not deployed today")
    deployment = running[0]
    with transaction.atomic():
        Cadre.objects.select_for_update().get(pk=deployment.cadre_id)
        log = PresenceLog.objects.filter(cadre_id=deployment.cadre_id, day=today).first()
        if log is not None:
            if note and note not in log.note:
                log.note = f"{log.note}\n{note}".strip()
                log.save(update_fields=["note"])
            return log, False
        try:
            with transaction.atomic():
                log = PresenceLog.objects.create(
                    deployment=deployment, cadre_id=deployment.cadre_id, day=today, note=note
                )
        except IntegrityError:  # the same tap twice at once: the first one stands
            return PresenceLog.objects.get(cadre_id=deployment.cadre_id, day=today), False
    return log, True


# --- the host's tasks (一听) -----------------------------------------------------------------------------


def do_assign_task(
    *, actor, deployment_id, title: str = "", details: str = "", demand_id=None, whistle_id=None
) -> CadreTask:
    """The host's dispatcher gives a deployed cadre a task: a task of its own, a demand the street
    handles itself (the cadre may then record progress and report it handled), or a supporting hand on a
    whistle of the street (the cadre's notes show on the whistle's timeline)."""
    errors: dict[str, str] = {}
    details = _text(details, "note", errors)
    title = _text(title, "title", errors)
    if demand_id not in (None, "") and whistle_id not in (None, ""):
        errors["demand"] = "诉求与吹哨只能选一个 / Either a demand or a whistle, not both"
    _refuse(errors)
    with transaction.atomic():
        deployment = access.access_deployment(actor, deployment_id)
        if not access.commands_host(actor, deployment.host):
            raise Forbidden(
                "只有驻地街乡的派单员或领导可以派任务 / Only the host street's dispatcher or leader"
            )
        if not deployment.is_active_on(timezone.localdate()):
            raise ValidationFailed(
                "该干部当前不在岗 / The cadre is not deployed now", fields={"deployment": "not_active"}
            )
        street = access.street_of(deployment.host)
        kind, demand, whistle = TaskKind.GENERAL, None, None
        if demand_id not in (None, ""):
            demand = Demand.objects.select_for_update().filter(pk=_int(demand_id)).first()
            if demand is None or demand.street_id != street.pk:
                raise ValidationFailed(
                    "诉求不属于驻地街乡 / Not a demand of the host street", fields={"demand": "invalid"}
                )
            if demand.state != DemandState.SELF_HANDLING:
                raise ValidationFailed(
                    "只能交办街乡自办中的诉求 / Only a demand the street is handling itself",
                    fields={"demand": "not_self_handling"},
                )
            kind, title = TaskKind.DEMAND, title or f"{demand.tracking_code} {demand.subject}"[:200]
        elif whistle_id not in (None, ""):
            whistle = Whistle.objects.filter(pk=_int(whistle_id)).first()
            if whistle is None or whistle.street_id != street.pk:
                raise ValidationFailed(
                    "吹哨不属于驻地街乡 / Not a whistle of the host street", fields={"whistle": "invalid"}
                )
            if whistle.state == WhistleState.CLOSED:
                raise ValidationFailed("该吹哨已办结 / The whistle is closed", fields={"whistle": "closed"})
            kind, title = TaskKind.WHISTLE, title or f"#{whistle.pk} {whistle.matter.name}"[:200]
        if not title:
            raise ValidationFailed("请填写任务 / Describe the task", fields={"title": "required"})
        task = CadreTask.objects.create(
            deployment=deployment,
            kind=kind,
            title=title,
            details=details,
            demand=demand,
            whistle=whistle,
            assigned_by=actor,
        )
        audit.record(task, "assign_task", actor=actor, note=title, data={"deployment": deployment.pk})
        subject = demand or whistle
        if subject is not None:
            audit.record(
                subject,
                "assign_cadre",
                actor=actor,
                note=f"{deployment.cadre.name}: {details or title}",
                data={"task": task.pk, "deployment": deployment.pk},
            )
        if deployment.cadre.user_id:
            notify_on_commit(
                [deployment.cadre.user_id], f"驻地派给您新任务：{title}", f"/forces/tasks/{task.pk}/"
            )
    return task


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _lock_own_task(actor, task_id) -> CadreTask:
    task = access.access_task(actor, task_id)
    if task.deployment.cadre.user_id != actor.pk:
        raise Forbidden("只有接受任务的干部可以记录 / Only the cadre given the task")
    if not task.deployment.is_active_on(timezone.localdate()):
        raise Forbidden("下沉已结束 / The deployment has ended")
    locked = (
        CadreTask.objects.select_for_update()
        .select_related("deployment", "deployment__cadre")
        .get(pk=task.pk)
    )
    if locked.state != TaskState.OPEN:
        raise Conflict("任务已完成 / The task is done", code="illegal_transition")
    return locked


def do_task_note(*, actor, task_id, note: str) -> TaskNote:
    """The cadre's progress on a task; on a demand or a whistle it shows on that page's timeline."""
    errors: dict[str, str] = {}
    note = _text(note, "note", errors, required=True)
    _refuse(errors)
    with transaction.atomic():
        task = _lock_own_task(actor, task_id)
        entry = TaskNote.objects.create(task=task, author=actor, note=note)
        subject = task.demand or task.whistle
        if subject is not None:
            audit.record(subject, "record_progress", actor=actor, note=note, data={"task": task.pk})
        audit.record(task, "record_progress", actor=actor, note=note)
    return entry


def do_finish_task(*, actor, task_id, note: str) -> CadreTask:
    """The cadre reports the task done. A self-handled demand is then reported handled (awaiting the
    street's check) through intake's own action, which accepts the cadre through intake.extensions."""
    errors: dict[str, str] = {}
    note = _text(note, "note", errors, required=True)
    _refuse(errors)
    with transaction.atomic():
        task = _lock_own_task(actor, task_id)
        if task.kind == TaskKind.DEMAND:
            intake_actions.do_finish_self_handling(actor=actor, demand_id=task.demand_id, note=note)
        elif task.whistle_id:
            audit.record(task.whistle, "record_progress", actor=actor, note=note, data={"task": task.pk})
        task.state, task.done_at = TaskState.DONE, timezone.now()
        task.save(update_fields=["state", "done_at"])
        TaskNote.objects.create(task=task, author=actor, note=note)
        audit.record(task, "finish_task", actor=actor, note=note)
        notify_on_commit([task.assigned_by_id], f"{task.deployment.cadre.name} 已完成任务：{task.title}")
    return task


# --- the host's assessment (在考核) ---------------------------------------------------------------------


def _assessors(rows, errors: dict) -> list[tuple[str, str]]:
    out = []
    for i, row in enumerate(rows or []):
        name = (row.get("name") or "").strip()
        kind = row.get("kind") or ""
        if not name or len(name) > 60:
            errors[f"assessors[{i}].name"] = "请填写评议人姓名 / Name the assessor"
        if kind not in ASSESSOR_KINDS:
            errors[f"assessors[{i}].kind"] = "评议人类别无效 / Unknown assessor kind"
        out.append((name, kind))
    if not out:
        errors["assessors"] = "至少一名评议人 / At least one assessor"
    elif not any(k in errors for k in errors if k.startswith("assessors[")):
        grassroots = sum(1 for _n, k in out if k in GRASSROOTS_KINDS)
        if grassroots * 3 < len(out):
            errors["assessors"] = (
                f"基层评议人（村党组织书记、基层党代表、人大代表）须占三分之一以上，现为{grassroots}/{len(out)} / "
                f"At least one third of the assessors must be from the grassroots (village party secretaries, "
                f"party or people's congress deputies): {grassroots} of {len(out)}"
            )
    return out


def do_create_assessment(
    *, actor, host_code: str, title: str, starts_on, ends_on, assessors, scores
) -> AssessmentRound:
    """The host assesses the cadres sent to it for a period: a panel with at least one third grassroots
    assessors, a score (0-100) per deployment at the host in the period. All or nothing."""
    errors: dict[str, str] = {}
    host = _host(host_code, errors)
    title = _text(title, "title", errors, required=True)
    first = parse_day(starts_on, "starts_on", errors)
    last = parse_day(ends_on, "ends_on", errors)
    check_period(first, last, errors)
    panel = _assessors(assessors, errors)
    parsed: list[tuple[int, Decimal, str]] = []
    for i, row in enumerate(scores or []):
        try:
            value = Decimal(str(row.get("score")))
            if not (0 <= value <= 100):
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors[f"scores[{i}].score"] = "分数须在0-100之间 / A score from 0 to 100"
            value = Decimal(0)
        parsed.append(
            (_int(row.get("deployment")), value.quantize(Decimal("0.1")), (row.get("comment") or "")[:200])
        )
    if not parsed:
        errors["scores"] = "至少评一名干部 / Score at least one cadre"
    ids = [p[0] for p in parsed]
    if len(set(ids)) != len(ids):
        errors["scores"] = "同一干部只能评一次 / One score per cadre"
    deployments = {}
    if host is not None and first and last and parsed and "scores" not in errors:
        under = Q(host=host) | Q(host__parent=host) if host.level == "street" else Q(host=host)
        deployments = {d.pk: d for d in Deployment.objects.filter(under, overlaps_q(first, last), pk__in=ids)}
        for i, (pk, _v, _c) in enumerate(parsed):
            if pk not in deployments:
                errors[f"scores[{i}].deployment"] = (
                    "该干部此期间不在本驻地 / Not deployed to this host in the period"
                )
    _refuse(errors, "考核信息有误 / Invalid assessment")
    if not (access.commands_host(actor, host) or access.decides_for(actor, host)):
        raise Forbidden("只有驻地街乡或区级可以考核 / Only the host street or the district")
    with transaction.atomic():
        round_ = AssessmentRound.objects.create(
            host=host,
            title=title,
            starts_on=first,
            ends_on=last,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        Assessor.objects.bulk_create(Assessor(round=round_, name=n, kind=k) for n, k in panel)
        CadreScore.objects.bulk_create(
            CadreScore(round=round_, deployment_id=pk, unit_id=deployments[pk].unit_id, score=v, comment=c)
            for pk, v, c in parsed
        )
        audit.record(
            round_,
            "assess",
            actor=actor,
            data={"host": host.code, "assessors": len(panel), "scores": len(parsed)},
        )
    return round_


__all__ = [
    "do_assign_task",
    "do_create_assessment",
    "do_create_deployment",
    "do_end_deployment",
    "do_finish_task",
    "do_log_presence",
    "do_set_quota",
    "do_task_note",
    "active_on_q",
]
