"""Duty lists."""

from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "shaobao.duties"
    label = "duties"
    verbose_name = "Duty lists"
