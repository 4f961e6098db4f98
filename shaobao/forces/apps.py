"""Forces sent down."""

from django.apps import AppConfig


class ForcesConfig(AppConfig):
    name = "shaobao.forces"
    label = "forces"
    verbose_name = "Forces sent down"
