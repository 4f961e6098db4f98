"""Organisation: divisions, grids, units, people."""

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "shaobao.org"
    label = "org"
    verbose_name = "Organisation: divisions, grids, units, people"

    def ready(self) -> None:
        # Core (below org) draws the menu by role; org says what a user's roles are.
        from shaobao.core import navigation
        from shaobao.org.scoping import scope_of

        navigation.set_roles_of(lambda user: scope_of(user).roles)
