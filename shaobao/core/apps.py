"""Core: audit events, business calendar, errors."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shaobao.core"
    label = "core"
    verbose_name = "Core: audit events, business calendar, errors"

    def ready(self):
        from shaobao.core import queue

        queue.connect()  # record background tasks' final failures (core.TaskFailure)
