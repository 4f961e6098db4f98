"""Core: audit events, business calendar, errors."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shaobao.core"
    label = "core"
    verbose_name = "Core: audit events, business calendar, errors"

    def ready(self):
        from shaobao.core import queue

        queue.connect()  # record background tasks' final failures (core.TaskFailure)

        from django.db.models.signals import post_delete, post_save

        from shaobao.core import calendar, checks  # noqa: F401 - checks registers itself
        from shaobao.core.models import CalendarDay

        for signal in (post_save, post_delete):
            signal.connect(calendar.forget_entered_days, sender=CalendarDay, dispatch_uid="calendar-days")
