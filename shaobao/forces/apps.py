"""Forces sent down."""

from django.apps import AppConfig


class ForcesConfig(AppConfig):
    name = "shaobao.forces"
    label = "forces"
    verbose_name = "Forces sent down"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from shaobao.core.labels import register_state_labels
        from shaobao.core.templatetags.shaobao_tags import EVENT_LABELS
        from shaobao.forces.access import cadre_handles_demand
        from shaobao.forces.models import TaskState
        from shaobao.intake import extensions

        register_state_labels(TaskState)
        # A demand the street handles itself may be given to a deployed cadre (三在一听): intake, below
        # forces, asks this check before refusing the cadre the demand or its "handled" step.
        extensions.add_handler_check(cadre_handles_demand)
        # The demand's and the whistle's timelines show who the street gave it to.
        EVENT_LABELS.setdefault("assign_cadre", _("given to a deployed cadre"))
