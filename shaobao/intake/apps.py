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
