"""Fetch one organisation object for a user, or raise (see `scoping`)."""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotFound
from shaobao.org.models import DISTRICT_ROLES, STREET_ROLES, UNIT_ROLES, Division, Unit
from shaobao.org.scoping import scope_of


def require_member(user) -> None:
    if not user.is_authenticated:
        from shaobao.core.errors import NotAuthenticated

        raise NotAuthenticated("请先登录 / Please log in")
    scope = scope_of(user)
    if not scope.is_superuser and not scope.roles:
        raise Forbidden("您没有任何角色 / You have no role in any organisation")


# Every role but the resident works for an organisation: these open the staff pages.
STAFF_ROLES = frozenset(STREET_ROLES | UNIT_ROLES | DISTRICT_ROLES)


def require_staff(user) -> None:
    """The staff pages (demands, whistles, evaluation, exports, platform) are for staff: a resident, or a
    user without any role, gets Forbidden (403) rather than an empty list."""
    require_member(user)
    if not scope_of(user).has_role(*STAFF_ROLES):
        raise Forbidden("此页面仅供工作人员使用 / This page is for staff")


def access_division(user, code: str) -> Division:
    require_member(user)
    division = Division.objects.visible_to(user).filter(code=Division.full_code(code)).first()
    if division is None:
        raise NotFound(f"区划 {code} 不存在 / Division {code} not found")
    return division


def access_unit(user, code: str) -> Unit:
    require_member(user)
    unit = Unit.objects.visible_to(user).filter(code=code).first()
    if unit is None:
        raise NotFound(f"单位 {code} 不存在 / Unit {code} not found")
    return unit
