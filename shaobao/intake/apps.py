"""Intake: demands."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "shaobao.intake"
    label = "intake"
    verbose_name = "Intake: demands"
