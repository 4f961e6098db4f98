"""The append-only audit record: who did what, when, to which object, from which state to which."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shaobao.core.messages import render, render_html


class Event(models.Model):
    """One step in the life of any object (demand, whistle, summons, duty list ...). Never updated."""

    subject_type = models.CharField(_("object type"), max_length=40)
    subject_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # A context: the plain "from"/"to" label periods (起/止) on the other apps' forms.
    from_state = models.CharField(pgettext_lazy("event state", "from"), max_length=40, blank=True)
    to_state = models.CharField(pgettext_lazy("event state", "to"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("events are append-only")

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.action} {self.from_state}->{self.to_state}"


class Notification(models.Model):
    """An in-app message (the bell); created by queued tasks after the action's commit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=300)  # in the default language (see core.messages)
    # The text in no language yet, shown in the reader's: a message id and its values (core.messages.Msg).
    # Rows written before, and user-typed texts (broadcasts), have none and show `text`.
    message = models.CharField(max_length=200, blank=True, default="", db_default="")
    params = models.JSONField(null=True, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    @property
    def display(self) -> str:
        """The text in the active language."""
        return render(self.message, self.params) if self.message else self.text

    @property
    def display_html(self) -> str:
        """The same, escaped, with names and other user data marked as such (`data-user`)."""
        return render_html(self.message, self.params) if self.message else None


class PersonalDataAccess(models.Model):
    """Each time someone unmasks a resident's name or phone (privacy log)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    fields = models.CharField(max_length=100)
    purpose = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class TaskFailure(models.Model):
    """A background task that failed after its last retry (written by `core.queue`'s huey signal receiver,
    in its own transaction). One row per task and arguments while unresolved: a task failing again with
    the same arguments counts another occurrence. Shown in the admin, counted on the admin's index."""

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    args_summary = models.TextField(_("arguments"), blank=True)
    key = models.CharField(max_length=64, editable=False)  # sha256 of task name + arguments
    task_id = models.CharField(_("last task id"), max_length=64, blank=True)
    error = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts per run"), default=1)
    occurrences = models.PositiveIntegerField(_("final failures"), default=1)
    first_failed_at = models.DateTimeField(_("first failed"))
    last_failed_at = models.DateTimeField(_("last failed"), db_index=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed background task")
        verbose_name_plural = _("failed background tasks")
        ordering = ["resolved", "-last_failed_at", "-id"]
        indexes = [models.Index(fields=["key", "resolved"])]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.error[:80]})"


class OutboxEvent(models.Model):
    """A domain event (core.events) written in the action's own transaction, so it commits with the action or
    not at all. Deleted once every subscriber has been told; a row left behind (the process died between
    the commit and its subscribers, or one of them failed) is told again by the worker's sweep
    (`core.events.redeliver_due`) to the subscribers still owed it. Subscribers de-duplicate on the event id."""

    event_id = models.CharField(_("event id"), max_length=32, unique=True)
    name = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(_("occurred"))
    # Subscribers (module.qualname) still owed this event; empty: all of them (nobody told yet).
    pending = models.JSONField(_("subscribers still to tell"), default=list, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True, default="")

    class Meta:
        verbose_name = _("undelivered domain event")
        verbose_name_plural = _("undelivered domain events")
        ordering = ["next_attempt_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.event_id[:8]}"


class CalendarDay(models.Model):
    """A day the State Council's holiday plan (国务院办公厅关于部分节假日安排的通知) makes a rest day or a
    working day, entered by an administrator: it overrides `chinese-calendar`, whose data ends with the
    year it was released in (core.calendar reads these first). One row per day that differs from the
    package, or, for a year the package does not cover, every holiday and every swapped working day."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"), help_text=_("Unticked: a rest day (holiday)."))
    note = models.CharField(_("note"), max_length=60, blank=True, help_text=_("e.g. Spring Festival"))

    class Meta:
        verbose_name = _("holiday plan day")
        verbose_name_plural = _("holiday plan days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'rest day'} {self.note}".strip()
