"""Demo district."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "shaobao.demo"
    label = "demo"
    verbose_name = "Demo district"
