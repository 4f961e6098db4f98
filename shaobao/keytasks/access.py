"""Who may see and do what with key tasks, topics and referrals.

- Key-task lists and topics: every staff member of the district reads them; district roles create them and
  pick topics; the lead unit's staff report progress (percentage, milestones), participating units notes.
- Accountability referrals: district roles only (403 for everyone else, street and unit staff included).
"""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotFound
from shaobao.keytasks.models import KeyTask, Referral, Topic
from shaobao.org.access import require_member, require_staff
from shaobao.org.models import UNIT_ROLES, scope_of


def is_district(user) -> bool:
    return scope_of(user).is_district


def require_district(user) -> None:
    require_member(user)
    if not is_district(user):
        raise Forbidden("此页面仅供区级协调人员使用 / This page is for the district's coordinators")


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} not found") from None


def access_key_task(user, pk) -> KeyTask:
    require_staff(user)
    task = (
        KeyTask.objects.visible_to(user)
        .select_related("area", "lead_unit", "district")
        .filter(pk=_pk(pk, "Key task"))
        .first()
    )
    if task is None:
        raise NotFound(f"重点任务 {pk} 不存在 / Key task {pk} not found")
    return task


def access_topic(user, pk) -> Topic:
    require_staff(user)
    topic = (
        Topic.objects.filter(key_task__in=KeyTask.objects.visible_to(user), pk=_pk(pk, "Topic"))
        .select_related("matter", "street", "community", "grid", "key_task", "key_task__lead_unit")
        .first()
    )
    if topic is None:
        raise NotFound(f"每月一题 {pk} 不存在 / Topic {pk} not found")
    return topic


def access_referral(user, pk) -> Referral:
    require_district(user)
    scope = scope_of(user)
    referral = (
        Referral.objects.filter(scope.code_q("district__code", district_wide=True), pk=_pk(pk, "Referral"))
        .select_related("unit", "key_task", "whistle", "supervision_order", "referred_by", "decided_by")
        .first()
    )
    if referral is None:
        raise NotFound(f"问责记录 {pk} 不存在 / Referral {pk} not found")
    return referral


def reporting_unit(user, task: KeyTask) -> tuple[int | None, bool]:
    """(the unit the user reports for, whether it leads the task); (None, False) when they may not."""
    scope = scope_of(user)
    mine = {u for u in scope.unit_ids} if scope.roles & UNIT_ROLES or scope.is_superuser else set()
    if task.lead_unit_id in mine:
        return task.lead_unit_id, True
    participating = set(task.participating_units.values_list("pk", flat=True)) & mine
    if participating:
        return min(participating), False
    return None, False


def may_report(user, task: KeyTask) -> bool:
    return reporting_unit(user, task)[0] is not None and task.state == "open"
