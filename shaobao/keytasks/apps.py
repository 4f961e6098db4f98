"""Key-task lists (重点任务清单), monthly topics (每月一题) and accountability (追责问责)."""

from django.apps import AppConfig


class KeytasksConfig(AppConfig):
    name = "shaobao.keytasks"
    label = "keytasks"
    verbose_name = "Key tasks"
