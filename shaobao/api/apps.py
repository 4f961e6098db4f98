"""JSON API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shaobao.api"
    label = "api"
    verbose_name = "JSON API"
