"""The grounds of an accountability referral, checked, and its facts gathered from the audit trail and
the workflow rows (the summons and its supervision orders, the key task and its reports, the whistle's
rework)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from shaobao.core.calendar import add_working_days
from shaobao.core.errors import ValidationFailed
from shaobao.core.models import Event
from shaobao.keytasks.models import KeyTask, KeyTaskState, ReferralKind
from shaobao.whistles.models import Summons, SummonsRole, SupervisionKind, SupervisionOrder, Whistle


def long_overdue_days() -> int:
    return int(getattr(settings, "KEYTASK_LONG_OVERDUE_WORKING_DAYS", 10))


def rework_referral_count() -> int:
    return int(getattr(settings, "REWORK_REFERRAL_COUNT", 2))


def ignored_after_days() -> int:
    return int(getattr(settings, "SUPERVISION_ESCALATE_WORKING_DAYS", 1))


def _events(subject_type: str, ids: list[int]) -> list[dict]:
    rows = (
        Event.objects.filter(subject_type=subject_type, subject_id__in=ids)
        .select_related("actor")
        .order_by("at", "id")
    )
    return [
        {
            "at": e.at.isoformat(),
            "source": "audit",
            "subject": f"{subject_type}#{e.subject_id}",
            "action": e.action,
            "actor": str(e.actor) if e.actor_id else "",
            "from": e.from_state,
            "to": e.to_state,
            "note": e.note[:500],
        }
        for e in rows
    ]


def _row(at, action: str, subject: str, note: str = "", actor: str = "") -> dict:
    return {"at": at.isoformat() if at else "", "source": "workflow", "subject": subject, "action": action,
            "actor": actor, "from": "", "to": "", "note": note}  # fmt: skip


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda f: f["at"])


def _in_district(district, street_code: str) -> bool:
    return street_code.startswith(district.prefix)


def gather(
    kind: str, district, now: dt.datetime, *, supervision_order=None, key_task=None, whistle=None
) -> dict:
    if kind == ReferralKind.IGNORED_ORDER:
        return _ignored_order(district, now, supervision_order)
    if kind == ReferralKind.OVERDUE_TASK:
        return _overdue_task(district, now, key_task)
    return _rework(district, whistle)


def _ignored_order(district, now, order_id) -> dict:
    order = (
        SupervisionOrder.objects.select_related("summons", "summons__unit", "summons__whistle__street")
        .filter(pk=order_id or 0, kind__in=[SupervisionKind.SUPERVISION, SupervisionKind.ESCALATION])
        .first()
    )
    if order is None or not _in_district(district, order.summons.whistle.street.code):
        raise ValidationFailed(
            "督办单不存在 / unknown supervision order", fields={"supervision_order": "unknown"}
        )
    if order.resolved_at is not None or add_working_days(order.issued_at, ignored_after_days()) > now:
        raise ValidationFailed(
            "督办单已办理或尚未超过办理时限 / the order was acted on or is not yet ignored",
            fields={"supervision_order": "not_ignored"},
        )
    summons = order.summons
    items = _events(Summons._meta.label_lower, [summons.pk]) + _events(
        Whistle._meta.label_lower, [summons.whistle_id]
    )
    items += [
        _row(o.issued_at, f"order_{o.kind}", f"order#{o.pk}", f"{o.stage} {o.note}".strip())
        for o in summons.supervision_orders.all()
    ]
    items.append(_row(summons.finish_due, "finish_due", f"summons#{summons.pk}"))
    return {
        "unit": summons.unit,
        "supervision_order": order,
        "whistle": summons.whistle,
        "subject_key": f"order:{order.pk}",
        "facts": _sorted(items),
    }


def _overdue_task(district, now, task_id) -> dict:
    task = KeyTask.objects.select_related("lead_unit").filter(pk=task_id or 0, district=district).first()
    if task is None:
        raise ValidationFailed("重点任务不存在 / unknown key task", fields={"key_task": "unknown"})
    late_by = add_working_days(task.deadline, long_overdue_days())
    if task.state != KeyTaskState.OPEN or late_by > now:
        raise ValidationFailed(
            f"任务未逾期 {long_overdue_days()} 个工作日 / the key task is not long overdue",
            fields={"key_task": "not_long_overdue"},
        )
    items = _events(KeyTask._meta.label_lower, [task.pk])
    items += [
        _row(o.issued_at, f"order_{o.kind}", f"key_task_order#{o.pk}", o.note) for o in task.orders.all()
    ]
    items += [
        _row(r.at, "progress_report", f"key_task#{task.pk}", f"{r.percent if r.percent is not None else ''}% {r.note}", str(r.author))
        for r in task.reports.select_related("author")
    ]  # fmt: skip
    items.append(_row(task.deadline, "deadline", f"key_task#{task.pk}"))
    return {
        "unit": task.lead_unit,
        "key_task": task,
        "subject_key": f"task:{task.pk}",
        "facts": _sorted(items),
    }


def _rework(district, whistle_id) -> dict:
    whistle = Whistle.objects.select_related("street").filter(pk=whistle_id or 0).first()
    if whistle is None or not _in_district(district, whistle.street.code):
        raise ValidationFailed("吹哨不存在 / unknown whistle", fields={"whistle": "unknown"})
    if whistle.rework_count < rework_referral_count():
        raise ValidationFailed(
            f"返工少于 {rework_referral_count()} 次 / not reworked repeatedly",
            fields={"whistle": "not_repeated"},
        )
    lead = whistle.summonses.filter(role=SummonsRole.LEAD).select_related("unit").first()
    if lead is None:
        raise ValidationFailed(
            "该吹哨没有主责单位 / the whistle has no lead unit", fields={"whistle": "no_lead"}
        )
    summons_ids = list(whistle.summonses.values_list("pk", flat=True))
    items = _events(Whistle._meta.label_lower, [whistle.pk]) + _events(Summons._meta.label_lower, summons_ids)
    return {
        "unit": lead.unit,
        "whistle": whistle,
        "subject_key": f"whistle:{whistle.pk}",
        "facts": _sorted(items),
    }
