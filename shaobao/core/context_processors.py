"""Template context shared by every page: the role-dependent navigation."""

from shaobao.core.navigation import menu_for
from shaobao.org.scoping import scope_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "user_roles": []}
    return {"menu": menu_for(user), "user_roles": sorted(scope_of(user).roles)}
