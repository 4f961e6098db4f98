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
        from django.db.models import signals

        from shaobao.org import places
        from shaobao.org.models import Division, GazetteerEntry

        # A renamed division or an edited gazetteer entry takes effect at once in this process.
        for model in (Division, GazetteerEntry):
            signals.post_save.connect(
                places.clear_cache, sender=model, dispatch_uid=f"places-{model.__name__}"
            )
            signals.post_delete.connect(
                places.clear_cache, sender=model, dispatch_uid=f"places-del-{model.__name__}"
            )
