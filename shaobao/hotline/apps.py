"""The 12345 hotline gateway: work orders in (API, xlsx), results back by webhook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "shaobao.hotline"
    label = "hotline"
    verbose_name = _("12345 hotline gateway")
