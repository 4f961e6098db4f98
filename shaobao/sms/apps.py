"""SMS to residents: receipt, closing and missed-callback messages through a pluggable gateway."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "shaobao.sms"
    label = "sms"
    verbose_name = _("SMS to residents")

    def ready(self) -> None:
        from shaobao.core import events
        from shaobao.sms import actions

        for name in actions.TEMPLATE_FOR:
            events.subscribe(name, actions.on_event)
