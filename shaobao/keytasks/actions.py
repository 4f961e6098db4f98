"""Every write of key tasks, topics and referrals: one transaction each, audited, rows locked where two
people may race. Errors name the field (`ValidationFailed(fields=...)`) and nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.calendar import add_working_days, local_tz
from shaobao.core.errors import Conflict, ValidationFailed
from shaobao.core.notifications import notify_on_commit
from shaobao.duties.models import Matter
from shaobao.intake import people
from shaobao.keytasks import access, facts
from shaobao.keytasks.models import (
    Area,
    Decision,
    KeyTask,
    KeyTaskClaim,
    KeyTaskOrder,
    KeyTaskState,
    Milestone,
    ProgressReport,
    Referral,
    ReferralKind,
    ReferralState,
    Topic,
    TopicLevel,
)
from shaobao.org.models import Division, Grid, Unit
from shaobao.org.scoping import district_of
from shaobao.whistles.deadlines import warn_at

# --- deadlines --------------------------------------------------------------------------------------


def deadline_of(day: dt.date) -> dt.datetime:
    """A deadline given as a date means the end of that local working day (23:59)."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=local_tz())


def _deadline(deadline, working_days, now: dt.datetime, field: str = "deadline") -> dt.datetime:
    if working_days is not None:
        if int(working_days) < 1:
            raise ValidationFailed(
                "工作日数须为正数 / working days must be positive", fields={"working_days": "positive"}
            )
        return add_working_days(now, int(working_days))
    if deadline is None or deadline == "":
        raise ValidationFailed("请填写期限 / a deadline is required", fields={field: "required"})
    if isinstance(deadline, str):
        try:
            deadline = dt.date.fromisoformat(deadline)
        except ValueError:
            raise ValidationFailed(
                "期限格式应为 YYYY-MM-DD / deadline: YYYY-MM-DD", fields={field: "invalid"}
            ) from None
    if isinstance(deadline, dt.datetime):
        due = deadline
    else:
        due = deadline_of(deadline)
    if due <= now:
        raise ValidationFailed(
            "期限已过，不能早于今天 / the deadline is in the past", fields={field: "in_the_past"}
        )
    return due


def _district(actor) -> Division:
    district = district_of(actor)
    if district is None:
        raise ValidationFailed("您不属于任何区 / you belong to no district", fields={"district": "none"})
    return district


class _Errors:
    """Collects the bad fields of one request, so that a 400 names every one of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.messages: list[str] = []

    def check(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            self.fields.update(exc.fields)
            self.messages.append(exc.message)
            return None

    def raise_any(self) -> None:
        if self.fields:
            raise ValidationFailed("；".join(self.messages), fields=self.fields)


def _units(district: Division, lead_code: str, participating: Iterable[str]) -> tuple[Unit, list[Unit]]:
    prefix = district.prefix
    units = Unit.objects.filter(is_active=True, division__code__startswith=prefix)
    errors = _Errors()
    lead = units.filter(code=(lead_code or "").strip()).first()
    if lead is None:
        errors.messages.append(f"牵头单位 {lead_code} 不存在 / unknown lead unit {lead_code}")
        errors.fields["lead_unit"] = "unknown"
    codes = [c.strip() for c in participating if c and c.strip()]
    found = {u.code: u for u in units.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        errors.messages.append(f"参与单位不存在 / unknown participating units: {', '.join(missing)}")
        errors.fields["participating_units"] = "unknown: " + ", ".join(missing)
    errors.raise_any()
    return lead, [found[c] for c in dict.fromkeys(codes) if c != lead.code]


def _title(title: str) -> None:
    if not (title or "").strip():
        raise ValidationFailed("请填写任务名称 / a title is required", fields={"title": "required"})


def _milestones(items: Sequence, now: dt.datetime) -> list[tuple[str, dt.date | None]]:
    out = []
    for i, item in enumerate(items or []):
        title, due = item if isinstance(item, tuple | list) else (item.get("title"), item.get("due"))
        title = (title or "").strip()
        if not title:
            continue
        if isinstance(due, str):
            try:
                due = dt.date.fromisoformat(due) if due else None
            except ValueError:
                raise ValidationFailed(
                    "节点日期格式错误 / bad milestone date", fields={f"milestones.{i}": "invalid"}
                ) from None
        out.append((title[:200], due))
    return out


def _create_task(
    actor, district, *, title, lead, others, due, now, area=None, number="", description="", milestones=()
):
    _title(title)
    task = KeyTask.objects.create(
        district=district,
        area=area,
        number=number or "",
        title=title.strip()[:300],
        description=description or "",
        lead_unit=lead,
        started_at=now,
        deadline=due,
        warn_at=warn_at(now, due),
        created_by=actor,
    )
    task.participating_units.set(others)
    Milestone.objects.bulk_create(
        [Milestone(key_task=task, order=i, title=t, due=d) for i, (t, d) in enumerate(milestones)]
    )
    audit.record(
        task, "key_task_created", actor=actor, to_state=task.state, data={"deadline": due.isoformat()}
    )
    staff = people.unit_staff([lead.pk, *(u.pk for u in others)])
    notify_on_commit(staff, f"重点任务：{task.title} / new key task", f"/key-tasks/{task.pk}/")
    return task


def do_create_key_task(
    *,
    actor,
    title: str,
    lead_unit: str,
    participating_units: Iterable[str] = (),
    deadline=None,
    working_days: int | None = None,
    area: int | None = None,
    number: str = "",
    description: str = "",
    milestones: Sequence = (),
    now: dt.datetime | None = None,
) -> KeyTask:
    access.require_district(actor)
    now = now or timezone.now()
    district = _district(actor)
    errors = _Errors()  # every bad field is named at once; nothing is written
    errors.check(_title, title)
    due = errors.check(_deadline, deadline, working_days, now)
    lead, others = errors.check(_units, district, lead_unit, participating_units) or (None, [])
    area_obj = None
    if area:
        area_obj = Area.objects.filter(pk=area, district=district).first()
        if area_obj is None:
            errors.messages.append("领域不存在 / unknown area")
            errors.fields["area"] = "unknown"
    ms = errors.check(_milestones, milestones, now)
    errors.raise_any()
    with transaction.atomic():
        return _create_task(
            actor, district, title=title, lead=lead, others=others, due=due, now=now, area=area_obj,
            number=number, description=description, milestones=ms,
        )  # fmt: skip


def do_create_area(*, actor, year: int, number: int, name: str) -> Area:
    access.require_district(actor)
    district = _district(actor)
    with transaction.atomic():
        area, _created = Area.objects.update_or_create(
            district=district, year=year, number=number, defaults={"name": name}
        )
        audit.record(area, "area_saved", actor=actor, data={"name": name})
        return area


# --- progress ---------------------------------------------------------------------------------------


def _resolve_orders(task: KeyTask, now: dt.datetime) -> int:
    return KeyTaskOrder.objects.filter(key_task=task, resolved_at__isnull=True).update(resolved_at=now)


def do_report_progress(
    *,
    actor,
    key_task_id: int,
    note: str,
    percent: int | None = None,
    milestone: int | None = None,
    now: dt.datetime | None = None,
) -> ProgressReport:
    """A unit reports: a note (every unit of the task); the lead unit also the percentage done and a
    milestone reached. 100 % completes the task and resolves its supervision orders."""
    now = now or timezone.now()
    task = access.access_key_task(actor, key_task_id)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写进展情况 / a note is required", fields={"note": "required"})
    with transaction.atomic():
        task = KeyTask.objects.select_for_update().get(pk=task.pk)
        unit_id, leads = access.reporting_unit(actor, task)
        if unit_id is None:
            from shaobao.core.errors import Forbidden

            raise Forbidden("只有牵头和参与单位可以报告进展 / only the task's units report progress")
        if task.state != KeyTaskState.OPEN:
            raise Conflict("任务已完成 / the key task is already completed")
        if (percent is not None or milestone) and not leads:
            field = "percent" if percent is not None else "milestone"
            raise ValidationFailed(
                "只有牵头单位报告完成进度 / only the lead unit reports the percentage and milestones",
                fields={field: "lead_unit_only"},
            )
        if percent is not None and not 0 <= int(percent) <= 100:
            raise ValidationFailed("进度须在 0–100 之间 / percent must be 0-100", fields={"percent": "range"})
        if percent is not None and int(percent) < task.progress:
            raise ValidationFailed(
                f"进度不能低于已报告的 {task.progress}% / progress cannot go down",
                fields={"percent": "decrease"},
            )
        ms = None
        if milestone:
            ms = Milestone.objects.filter(key_task=task, pk=milestone).first()
            if ms is None:
                raise ValidationFailed("节点不存在 / unknown milestone", fields={"milestone": "unknown"})
            if ms.done_at is None:
                ms.done_at = now
                ms.save(update_fields=["done_at"])
        report = ProgressReport.objects.create(
            key_task=task, unit_id=unit_id, author=actor, note=note, percent=percent, milestone=ms, at=now
        )
        before = task.state
        if percent is not None:
            task.progress = int(percent)
            if task.progress == 100:
                task.state, task.done_at = KeyTaskState.DONE, now
                _resolve_orders(task, now)
            task.save(update_fields=["progress", "state", "done_at"])
        audit.record(
            task, "key_task_progress", actor=actor, from_state=before, to_state=task.state, note=note,
            data={"percent": percent, "milestone": ms.pk if ms else None, "unit": unit_id},
        )  # fmt: skip
        return report


def do_extend_deadline(
    *, actor, key_task_id: int, deadline, reason: str, now: dt.datetime | None = None
) -> KeyTask:
    """The district moves a deadline (with a reason): supervision starts again for the new one."""
    access.require_district(actor)
    now = now or timezone.now()
    task = access.access_key_task(actor, key_task_id)
    due = _deadline(deadline, None, now)
    if not (reason or "").strip():
        raise ValidationFailed("请说明理由 / a reason is required", fields={"reason": "required"})
    with transaction.atomic():
        task = KeyTask.objects.select_for_update().get(pk=task.pk)
        if task.state != KeyTaskState.OPEN:
            raise Conflict("任务已完成 / the key task is already completed")
        old = task.deadline
        task.deadline, task.warn_at = due, warn_at(task.started_at, due)
        task.save(update_fields=["deadline", "warn_at"])
        KeyTaskClaim.objects.filter(key_task=task).delete()
        _resolve_orders(task, now)
        audit.record(
            task, "key_task_deadline_moved", actor=actor, note=reason,
            data={"from": old.isoformat(), "to": due.isoformat()},
        )  # fmt: skip
        return task


# --- monthly topics -----------------------------------------------------------------------------------


def do_choose_topic(
    *,
    actor,
    month: str,
    matter: str,
    street: str,
    community: str | None = None,
    grid: str | None = None,
    lead_unit: str,
    participating_units: Iterable[str] = (),
    measures: str = "",
    deadline=None,
    working_days: int | None = None,
    title: str = "",
    now: dt.datetime | None = None,
) -> Topic:
    """The coordinator picks a candidate of the month: it becomes a key task (lead unit, participating
    units, measures, deadline) whose effect is then tracked."""
    from shaobao.keytasks import topics

    access.require_district(actor)
    now = now or timezone.now()
    district = _district(actor)
    errors = _Errors()  # every bad field is named at once; nothing is written

    def bad(field: str, message: str) -> None:
        errors.messages.append(message)
        errors.fields[field] = "invalid" if field == "month" else "unknown"

    try:
        first, _next = topics.month_bounds(month)
    except ValueError:
        bad("month", "月份格式应为 YYYY-MM / month: YYYY-MM")
    matter_obj = (
        Matter.objects.filter(code=(matter or "").strip(), duty_list__district=district)
        .order_by("-duty_list__version")
        .first()
    )
    if matter_obj is None:
        bad("matter", f"事项 {matter} 不存在 / unknown matter")
    street_obj = (
        Division.objects.filter(
            code=Division.full_code(street or "0"), level="street", code__startswith=district.prefix
        ).first()
        if street
        else None
    )
    if street_obj is None:
        bad("street", f"街乡 {street} 不存在 / unknown street")
    community_obj = grid_obj = None
    level = TopicLevel.STREET
    if community and street_obj is not None:
        community_obj = Division.objects.filter(
            code=Division.full_code(community), level="community", parent=street_obj
        ).first()
        if community_obj is None:
            bad("community", f"社区 {community} 不存在 / unknown community")
        level = TopicLevel.COMMUNITY
    if grid and street_obj is not None:
        grid_obj = Grid.objects.filter(code=grid, community__parent=street_obj).first()
        if grid_obj is None:
            bad("grid", f"网格 {grid} 不存在 / unknown grid")
        else:
            community_obj = community_obj or grid_obj.community
        level = TopicLevel.GRID
    due = errors.check(_deadline, deadline, working_days, now)
    lead, others = errors.check(_units, district, lead_unit, participating_units) or (None, [])
    errors.raise_any()
    figures = topics.candidate_figures(district, month, matter_obj.pk, street_obj.pk,
                                       community_obj.pk if community_obj else None,
                                       grid_obj.pk if grid_obj else None, level)  # fmt: skip
    place = (grid_obj or community_obj or street_obj).name
    same = Topic.objects.filter(
        district=district, month=month, matter=matter_obj, level=level, street=street_obj,
        community=community_obj, grid=grid_obj,
    )  # fmt: skip
    with transaction.atomic():
        if same.exists():  # a friendly early answer; the race is decided by the unique place key below
            raise Conflict("本月已选过这个题目 / this topic was already chosen for the month")
        task = _create_task(
            actor, district, title=title or f"每月一题 {month}：{place}{matter_obj.name}", lead=lead,
            others=others, due=due, now=now, description=measures, number=f"T{month}",
        )  # fmt: skip
        try:
            with transaction.atomic():
                topic = Topic.objects.create(
                    district=district, month=month, matter=matter_obj, level=level, street=street_obj,
                    community=community_obj, grid=grid_obj, figures=figures, key_task=task, chosen_by=actor,
                    chosen_at=now,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict("本月已选过这个题目 / this topic was already chosen for the month") from None
        audit.record(topic, "topic_chosen", actor=actor, data={"month": month, "key_task": task.pk})
        return topic


# --- accountability ---------------------------------------------------------------------------------


def do_refer(
    *,
    actor,
    kind: str,
    reason: str,
    supervision_order: int | None = None,
    key_task: int | None = None,
    whistle: int | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """Refer a failed supervision for accountability. Grounds (checked, else 400 naming the field):
    an ignored supervision order (open, unresolved for the escalation time), a key task overdue by
    KEYTASK_LONG_OVERDUE_WORKING_DAYS, a whistle reworked REWORK_REFERRAL_COUNT times. A subject is referred
    once (409 the second time). The facts are gathered from the audit trail and the workflow rows."""
    access.require_district(actor)
    now = now or timezone.now()
    district = _district(actor)
    if kind not in ReferralKind.values:
        raise ValidationFailed("问责事由无效 / unknown ground", fields={"kind": "invalid"})
    if not (reason or "").strip():
        raise ValidationFailed("请填写问责理由 / a reason is required", fields={"reason": "required"})
    gathered = facts.gather(
        kind, district, now, supervision_order=supervision_order, key_task=key_task, whistle=whistle
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    district=district, kind=kind, reason=reason.strip(), referred_by=actor, referred_at=now,
                    **gathered,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict("该事项已移交问责 / this has already been referred") from None
        audit.record(referral, "referred", actor=actor, to_state=referral.state, note=reason)
        return referral


def do_decide_referral(*, actor, referral_id: int, decision: str, note: str = "", now=None) -> Referral:
    access.require_district(actor)
    now = now or timezone.now()
    referral = access.access_referral(actor, referral_id)
    if decision not in Decision.values:
        raise ValidationFailed("处理决定无效 / unknown decision", fields={"decision": "invalid"})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.state != ReferralState.REFERRED:
            raise Conflict("已作出决定 / already decided")
        referral.decision, referral.decision_note = decision, (note or "").strip()
        referral.decided_by, referral.decided_at = actor, now
        referral.state = ReferralState.DECIDED
        referral.save()
        audit.record(referral, "decided", actor=actor, from_state="referred", to_state="decided", note=note,
                     data={"decision": decision})  # fmt: skip
        return referral


def do_record_outcome(*, actor, referral_id: int, outcome: str, now=None) -> Referral:
    access.require_district(actor)
    now = now or timezone.now()
    referral = access.access_referral(actor, referral_id)
    if not (outcome or "").strip():
        raise ValidationFailed("请填写处理结果 / an outcome is required", fields={"outcome": "required"})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.state != ReferralState.DECIDED:
            raise Conflict("须先作出决定 / decide first")
        referral.outcome, referral.outcome_at, referral.state = outcome.strip(), now, ReferralState.CLOSED
        referral.save()
        audit.record(referral, "outcome", actor=actor, from_state="decided", to_state="closed", note=outcome)
        return referral


__all__ = [
    "deadline_of",
    "do_choose_topic",
    "do_create_area",
    "do_create_key_task",
    "do_decide_referral",
    "do_extend_deadline",
    "do_record_outcome",
    "do_refer",
    "do_report_progress",
]
