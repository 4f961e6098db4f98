"""Task admission (村（社区）事务准入)."""

from django.apps import AppConfig


class AdmissionConfig(AppConfig):
    name = "shaobao.admission"
    label = "admission"
    verbose_name = "Task admission"
