"""Webhooks: outside systems subscribe to the chain's events and get signed HTTP deliveries."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "shaobao.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from shaobao.core import events
        from shaobao.webhooks import actions
        from shaobao.webhooks.models import WebhookSubscription

        for name in events.NAMES:
            events.subscribe(name, actions.on_event)
        events.on_register(lambda name: events.subscribe(name, actions.on_event))
        for signal in (post_save, post_delete):
            signal.connect(actions.forget_cached_names, sender=WebhookSubscription)
