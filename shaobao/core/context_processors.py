"""Template context shared by every page: the role-dependent navigation."""

from shaobao.core.navigation import menu_for, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "user_roles": []}
    return {"menu": menu_for(user), "user_roles": sorted(roles_of(user))}
