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
        from django.utils.translation import gettext_lazy as _

        from shaobao.core.templatetags.shaobao_tags import EVENT_LABELS

        for action, label in (
            ("raise", _("called up")),
            ("assign", _("departments assigned")),
            ("call_up", _("called up to the level above")),
            ("verify_fail_up", _("verified: failed, back to the centre")),
            ("rate", _("departments rated")),
            ("report_in_warning", _("warning: report-in deadline near")),
            ("report_in_overdue", _("supervision: overdue to report in")),
            ("finish_warning", _("warning: finish deadline near")),
            ("finish_overdue", _("supervision: overdue to finish")),
        ):
            EVENT_LABELS.setdefault(action, label)
