"""SMS to residents: templates per language, the opt-out list, and a record of every message.

`SmsMessage.key` is unique (the event's id and the template): one event never sends two messages.
The phone is kept in full (the gateway needs it) and shown masked in the admin and the logs.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TemplateKey(models.TextChoices):
    RECEIPT = "receipt", _("demand received")
    CLOSED = "closed", _("demand closed")
    CALLBACK_FAILED = "callback_failed", _("callback could not reach the caller")


class SmsTemplate(models.Model):
    key = models.CharField(_("message"), max_length=20, choices=TemplateKey.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    text = models.TextField(
        _("text"),
        max_length=500,
        help_text=_("Placeholders: {tracking_code}, {link}, {result}, {subject}"),
    )
    # The provider's own template (e.g. Aliyun's SMS_123456789), its variables are the same placeholders.
    provider_template = models.CharField(_("provider template code"), max_length=40, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="unique_sms_template_language")
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} ({self.language})"


class SmsOptOut(models.Model):
    phone = models.CharField(_("phone"), max_length=30, unique=True)
    source = models.CharField(_("source"), max_length=20, default="reply")
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        from shaobao.intake.privacy import mask_phone

        return mask_phone(self.phone)


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent to the gateway")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    OPTED_OUT = "opted_out", _("not sent: opted out")
    RATE_LIMITED = "rate_limited", _("not sent: rate limit")
    NO_TEMPLATE = "no_template", _("not sent: no template")


class SmsMessage(models.Model):
    key = models.CharField(max_length=80, unique=True)
    phone = models.CharField(_("phone"), max_length=30, db_index=True)
    demand = models.ForeignKey(
        "intake.Demand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("demand"),
    )
    template = models.CharField(_("message"), max_length=20, choices=TemplateKey.choices)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    params = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    provider_id = models.CharField(_("gateway's id"), max_length=80, blank=True, default="", db_index=True)
    error = models.CharField(_("error"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sms_due")]
        permissions = [("receive_reports", _("May push SMS delivery reports and replies"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_template_display()}"
