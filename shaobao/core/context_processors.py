"""Template context shared by every page: the role-dependent navigation."""

from django.apps import apps

from shaobao.core.navigation import menu_for, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "user_roles": []}
    # The roles by name in the page's language, never their codes (looked up on the model, not imported).
    names = dict(apps.get_model("org", "Membership")._meta.get_field("role").flatchoices)
    return {"menu": menu_for(user), "user_roles": sorted(str(names.get(r, r)) for r in roles_of(user))}
