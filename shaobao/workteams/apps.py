"""Village work teams."""

from django.apps import AppConfig


class WorkteamsConfig(AppConfig):
    name = "shaobao.workteams"
    label = "workteams"
    verbose_name = "Village work teams"

    def ready(self) -> None:
        from shaobao.core.labels import register_state_labels
        from shaobao.workteams.models import MeasureState

        register_state_labels(MeasureState)
