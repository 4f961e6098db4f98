"""Reads of the powers app: the filtered list, a power's matters and versions, the street's records."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from shaobao.org.models import Division
from shaobao.powers.models import DelegatedPower, PowerStatus


def filter_powers(
    qs,
    *,
    q: str = "",
    category: str = "",
    department: str = "",
    street: str = "",
    status: str = "",
    in_force: bool | None = None,
):
    """`status`: "in_force" (acting today), "withdrawn", "pending" (in force, not yet effective)."""
    today = timezone.localdate()
    if q:
        q = q.strip()
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(legal_basis__icontains=q))
    if category:
        qs = qs.filter(category=category)
    if department:
        qs = qs.filter(department__code=department)
    if street:
        code = Division.full_code(street) if street.isdigit() else street
        qs = qs.filter(
            pk__in=DelegatedPower.streets.through.objects.filter(division__code=code).values(
                "delegatedpower_id"
            )
        )
    if in_force is True:
        status = "in_force"
    elif in_force is False and not status:
        status = "not_in_force"
    if status == "in_force":
        qs = qs.filter(status=PowerStatus.IN_FORCE, effective_date__lte=today)
    elif status == "withdrawn":
        qs = qs.filter(status=PowerStatus.WITHDRAWN)
    elif status == "pending":
        qs = qs.filter(status=PowerStatus.IN_FORCE, effective_date__gt=today)
    elif status == "not_in_force":
        qs = qs.exclude(status=PowerStatus.IN_FORCE, effective_date__lte=today)
    return qs


def with_counts(qs):
    return qs.select_related("department").annotate(
        street_count=Count("streets", distinct=True), matter_count=Count("matters", distinct=True)
    )


def matters_of(power: DelegatedPower) -> list[dict]:
    """The covered matters with their names in the duty list in force (a code no longer there shows alone)."""
    from shaobao.duties.selectors import duty_list_in_force

    codes = sorted(power.matters.values_list("matter_code", flat=True))
    duty_list = duty_list_in_force(power.district)
    names = dict(duty_list.matters.filter(code__in=codes).values_list("code", "name")) if duty_list else {}
    return [{"code": c, "name": names.get(c, "")} for c in codes]


def totals(qs) -> dict[str, int]:
    today = timezone.localdate()
    return qs.aggregate(
        total=Count("id"),
        acting=Count("id", filter=Q(status=PowerStatus.IN_FORCE, effective_date__lte=today)),
        withdrawn=Count("id", filter=Q(status=PowerStatus.WITHDRAWN)),
    )
