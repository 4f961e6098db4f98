"""Who may send 12345 work orders: the gateway's account (permission `hotline.post_orders`, given in the
admin), district coordinators and administrators, superusers. Street staff receive demands through
the ordinary intake, not through the gateway."""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotAuthenticated
from shaobao.org.models import Role
from shaobao.org.scoping import scope_of

PERMISSION = "hotline.post_orders"


def may_post_orders(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    scope = scope_of(user)
    if scope.is_superuser or scope.has_role(Role.DISTRICT_COORDINATOR, Role.ADMINISTRATOR):
        return True
    return user.has_perm(PERMISSION)


def require_gateway(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("请先登录 / Please log in")
    if not may_post_orders(user):
        raise Forbidden("无权提交12345工单 / You may not send 12345 work orders")
