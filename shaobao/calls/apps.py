"""Calls up the levels (乡呼县应): a township calls its county centre, a county calls the city."""

from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "shaobao.calls"
    label = "calls"
    verbose_name = "Calls up the levels"

    def ready(self) -> None:
        from shaobao.calls.models import CallState
        from shaobao.core.labels import register_state_labels

        register_state_labels(CallState)
