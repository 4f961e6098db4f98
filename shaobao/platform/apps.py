"""District coordination platform."""

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "shaobao.platform"
    label = "platform"
    verbose_name = "District coordination platform"
