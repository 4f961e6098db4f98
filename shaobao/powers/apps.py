"""Delegated powers (赋权清单) and the street's four powers."""

from django.apps import AppConfig


class PowersConfig(AppConfig):
    name = "shaobao.powers"
    label = "powers"
    verbose_name = "Delegated powers"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from shaobao.core.labels import register_state_labels
        from shaobao.core.templatetags.shaobao_tags import EVENT_LABELS
        from shaobao.powers import routing_hook
        from shaobao.powers.models import AnswerState, PowerStatus, RecommendationState
        from shaobao.routing import extensions

        # Routing (below powers) asks whether the street holds the enforcement power of a matter:
        # an acting delegated power makes the proposal the street's own enforcement team.
        extensions.set_self_handling_finder(routing_hook.self_handling_for)
        register_state_labels(PowerStatus, AnswerState, RecommendationState)
        EVENT_LABELS.update(
            {
                "create_power": _("power created"),
                "edit_power": _("power edited"),
                "withdraw_power": _("power withdrawn"),
                "import_powers": _("powers imported"),
                "file_proposal": _("proposal on handling sent"),
                "file_urge": _("urge note issued"),
                "street_proposal": _("the street proposed how to handle"),
                "street_urge": _("the street urged the unit"),
                "answer": _("answered"),
                "file_recommendation": _("recommendation filed"),
                "answer_recommendation": _("recommendation answered"),
            }
        )
