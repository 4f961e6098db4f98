"""Intake: demands."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "shaobao.intake"
    label = "intake"
    verbose_name = "Intake: demands"

    def ready(self) -> None:
        from shaobao.core.labels import register_state_labels
        from shaobao.intake.models import DemandState

        register_state_labels(DemandState)
        from shaobao.core import media
        from shaobao.intake.access import check_photo

        media.register("demands/", check_photo)  # the photos' upload folder (DemandPhoto.image)
