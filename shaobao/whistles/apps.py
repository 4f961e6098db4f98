"""Whistles."""

from django.apps import AppConfig


class WhistlesConfig(AppConfig):
    name = "shaobao.whistles"
    label = "whistles"
    verbose_name = "Whistles"
