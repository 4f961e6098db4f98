"""12345 work orders and how their categories map to our matters.

A `HotlineOrder` ties the 12345 platform's order number (unique: a repeated order answers the demand it
made the first time) to the demand intake received for it. `CategoryMapping` is the table the
administrators keep in the admin: the platform's category → one of our matter codes (and kind).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.intake.models import DemandKind


class CategoryMapping(models.Model):
    category = models.CharField(_("12345 category"), max_length=100, unique=True)
    matter_code = models.CharField(_("matter code"), max_length=40, blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=16, choices=DemandKind.choices, default=DemandKind.COMPLAINT
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("12345 category mapping")
        verbose_name_plural = _("12345 category mappings")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category} → {self.matter_code or '—'}"


class OrderSource(models.TextChoices):
    API = "api", _("API")
    XLSX = "xlsx", _("spreadsheet upload")
    COMMAND = "command", _("file import command")


class HotlineOrder(models.Model):
    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    demand = models.OneToOneField(
        "intake.Demand", on_delete=models.PROTECT, related_name="hotline_order", verbose_name=_("demand")
    )
    category = models.CharField(_("12345 category"), max_length=100, blank=True, default="")
    called_at = models.DateTimeField(_("call time"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=OrderSource.choices, default=OrderSource.API)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sending account"),
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("12345 work order")
        verbose_name_plural = _("12345 work orders")
        ordering = ["-created_at", "-id"]
        permissions = [("post_orders", _("May send 12345 work orders to the gateway"))]

    def __str__(self) -> str:
        return self.order_no
