"""Emergency broadcasts (应急广播): the district alerts the people of some or all of its streets at once.

A `Broadcast` goes from a district coordinator (or administrator) to the grid workers, street dispatchers
and street leaders of the chosen streets (none chosen: every street of the district) and to the handlers and
leaders of the district's units; each recipient gets one `BroadcastReceipt`, written at send time, which they
acknowledge (已知悉). The board counts the acknowledgements.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BroadcastLevel(models.TextChoices):
    # The four colours of Chinese emergency warnings, least to most severe.
    BLUE = "blue", _("blue")
    YELLOW = "yellow", _("yellow")
    ORANGE = "orange", _("orange")
    RED = "red", _("red")


class Broadcast(models.Model):
    district = models.ForeignKey(
        "org.Division", on_delete=models.PROTECT, related_name="broadcasts", verbose_name=_("district")
    )
    streets = models.ManyToManyField(
        "org.Division", blank=True, related_name="street_broadcasts", verbose_name=_("streets")
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("message"), max_length=2000)
    level = models.CharField(_("level"), max_length=8, choices=BroadcastLevel.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    sent_at = models.DateTimeField(_("sent at"), db_index=True)

    class Meta:
        verbose_name = _("emergency broadcast")
        verbose_name_plural = _("emergency broadcasts")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.title


class BroadcastReceipt(models.Model):
    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broadcast_receipts"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast receipt")
        verbose_name_plural = _("broadcast receipts")
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "user"], name="unique_broadcast_receipt"),
        ]
        indexes = [models.Index(fields=["user", "acknowledged_at"])]
