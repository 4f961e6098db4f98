"""Who may manage webhook subscriptions: superusers and administrators (for their district)."""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotAuthenticated
from shaobao.org.models import Division, Role
from shaobao.org.scoping import scope_of


def may_manage(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    scope = scope_of(user)
    return scope.is_superuser or scope.has_role(Role.ADMINISTRATOR)


def require_manager(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("请先登录 / Please log in")
    if not may_manage(user):
        raise Forbidden("只有管理员可以管理订阅 / Only administrators manage webhook subscriptions")


def managed_districts(user) -> list[Division] | None:
    """The districts whose subscriptions the user manages; None: all (a superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    prefixes = [p for p in scope.district_prefixes]
    return list(Division.objects.filter(level="district", code__in=[Division.full_code(p) for p in prefixes]))
