"""Evaluation."""

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "shaobao.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation"
