"""Core: audit events, business calendar, errors."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shaobao.core"
    label = "core"
    verbose_name = "Core: audit events, business calendar, errors"
