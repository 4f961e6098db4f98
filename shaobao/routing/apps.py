"""Smart routing."""

from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "shaobao.routing"
    label = "routing"
    verbose_name = "Smart routing"
