"""The 12345 hotline gateway: work orders in (API, xlsx), results back by webhook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "shaobao.hotline"
    label = "hotline"
    verbose_name = _("12345 hotline gateway")

    def ready(self) -> None:
        from shaobao.core import events
        from shaobao.hotline import actions
        from shaobao.hotline.access import PERMISSION
        from shaobao.intake import extensions

        events.register(actions.ORDER_UPDATED)
        for name in actions.STATUS_OF:
            events.subscribe(name, actions.on_demand_event)
        # The gateway's own account (no staff role) may receive demands in the hotline channel.
        extensions.add_channel_reporter("hotline_12345", lambda user: user.has_perm(PERMISSION))
