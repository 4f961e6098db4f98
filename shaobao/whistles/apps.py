"""Whistles."""

from django.apps import AppConfig


class WhistlesConfig(AppConfig):
    name = "shaobao.whistles"
    label = "whistles"
    verbose_name = "Whistles"

    def ready(self) -> None:
        from shaobao.core.labels import register_state_labels
        from shaobao.intake import extensions
        from shaobao.whistles.forms import blow_form_for
        from shaobao.whistles.models import ExtensionState, SummonsState, WhistleState

        register_state_labels(WhistleState, SummonsState, ExtensionState)
        from shaobao.core import media
        from shaobao.whistles.access import check_note_photo

        media.register("progress/", check_note_photo)  # ProgressNote.photo's upload folder
        # The demand page (intake, below whistles) offers the whistle form built here.
        extensions.set_whistle_form(blow_form_for)
