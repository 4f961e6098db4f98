"""Organisation: divisions, grids, units, people."""

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "shaobao.org"
    label = "org"
    verbose_name = "Organisation: divisions, grids, units, people"

    def ready(self) -> None:
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
