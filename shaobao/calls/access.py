"""Who acts for a call: the caller (street staff or the calling district's centre), the centre (the
district's coordinators, the city's), the assigned departments. One area at a time (org.acting)."""

from __future__ import annotations

from shaobao.calls.models import Call, CallAssignment, CallExtensionRequest, city_prefixes
from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import people
from shaobao.org.access import require_member
from shaobao.org.models import Division


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} not found") from None


def access_call(user, call_id) -> Call:
    require_member(user)
    pk = _pk(call_id, "Call")
    call = Call.objects.visible_to(user).select_related("caller", "centre", "raised_by").filter(pk=pk).first()
    if call is None:
        raise NotFound(f"呼叫 {call_id} 不存在 / Call {call_id} not found")
    return call


def access_assignment(user, assignment_id) -> CallAssignment:
    require_member(user)
    pk = _pk(assignment_id, "Assignment")
    assignment = CallAssignment.objects.select_related("call", "unit").filter(pk=pk).first()
    if assignment is None or not Call.objects.visible_to(user).filter(pk=assignment.call_id).exists():
        raise NotFound(f"派单 {assignment_id} 不存在 / Assignment {assignment_id} not found")
    return assignment


def access_extension(user, extension_id) -> CallExtensionRequest:
    require_member(user)
    pk = _pk(extension_id, "Extension")
    ext = CallExtensionRequest.objects.select_related("assignment").filter(pk=pk).first()
    if ext is None or not Call.objects.visible_to(user).filter(pk=ext.assignment.call_id).exists():
        raise NotFound(f"延期申请 {extension_id} 不存在 / Extension request {extension_id} not found")
    return ext


def staffs_centre(user, centre: Division) -> bool:
    """A county centre is staffed by the district's coordinators, the city centre by city coordinators."""
    if getattr(user, "is_superuser", False):
        return True
    if centre.level == "city":
        return centre.code[:4] in city_prefixes(user)
    return centre.level == "district" and centre.prefix in people.district_prefixes(user)


def acts_for_caller(user, caller: Division) -> bool:
    """A street's dispatchers and leaders call for their street; a district's centre for the district."""
    if getattr(user, "is_superuser", False):
        return True
    if caller.level == "street":
        return people.acts_for_street(user, caller)
    return staffs_centre(user, caller)


def acts_for_unit(user, unit_id: int) -> bool:
    return getattr(user, "is_superuser", False) or people.acts_for_unit(user, unit_id)


def require_centre(user, call: Call) -> None:
    if not staffs_centre(user, call.centre):
        raise Forbidden("只有接收呼叫的中心可以操作 / Only the centre the call went to may do this")


def require_caller(user, call: Call) -> None:
    if not acts_for_caller(user, call.caller):
        raise Forbidden("只有发起呼叫的一方可以操作 / Only the caller may do this")


def require_unit(user, assignment: CallAssignment) -> None:
    if not acts_for_unit(user, assignment.unit_id):
        raise Forbidden("只有被派单部门的人员可以操作 / Only the assigned department's staff may do this")


def lock_call(user, call_id) -> Call:
    call = access_call(user, call_id)
    return Call.objects.select_for_update().select_related("caller", "centre").get(pk=call.pk)


def lock_assignment(user, assignment_id) -> tuple[Call, CallAssignment]:
    """Lock the call, then the assignment (always in that order: no deadlock between two departments)."""
    assignment = access_assignment(user, assignment_id)
    call = Call.objects.select_for_update().select_related("caller", "centre").get(pk=assignment.call_id)
    locked = CallAssignment.objects.select_for_update().select_related("unit").get(pk=assignment.pk)
    return call, locked


def can_call(user) -> list[Division]:
    """The divisions the user may call up for: his streets (dispatchers, leaders) and, for a county
    centre, its district (to the city)."""
    out = list(Division.objects.filter(pk__in=people.street_ids(user)).order_by("code"))
    prefixes = people.district_prefixes(user)
    if prefixes:
        out += list(
            Division.objects.filter(
                level="district", code__in=[Division.full_code(p) for p in prefixes], parent__level="city"
            ).order_by("code")
        )
    return out
