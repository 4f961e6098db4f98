"""The append-only audit record: who did what, when, to which object, from which state to which."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One step in the life of any object (demand, whistle, summons, duty list ...). Never updated."""

    subject_type = models.CharField(_("object type"), max_length=40)
    subject_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
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
