"""Open311's own records (imported by `shaobao/api/models.py`; used by `shaobao/api/open311/`).

- `ServiceAttribute` (+ `ServiceAttributeValue`): what a service needs beyond the description, e.g. a
  pothole's size or a street light's pole number: GeoReport's service definition. Kept by matter code (the
  `service_code`), so a new version of the duty list keeps its attributes; edited in the admin.
- `Open311Request`: what a request created through Open311 brought that a demand has no field for: the
  service code asked for, the attributes' values (validated), `address_id`, `media_url` and what became of
  fetching it, and the token of an asynchronous creation.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


def validate_code(value: str) -> None:
    if not CODE_RE.match(value or ""):
        raise ValidationError(_("Letters, digits, '_', '-' and '.' only (1-40 characters)."))


class AttributeDatatype(models.TextChoices):
    STRING = "string", _("string (one line)")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("text (several lines)")
    SINGLEVALUELIST = "singlevaluelist", _("one value from a list")
    MULTIVALUELIST = "multivaluelist", _("several values from a list")


LIST_DATATYPES = frozenset({AttributeDatatype.SINGLEVALUELIST, AttributeDatatype.MULTIVALUELIST})


class ServiceAttribute(models.Model):
    service_code = models.CharField(
        _("service code (matter code)"), max_length=40, db_index=True, validators=[validate_code]
    )
    code = models.CharField(_("attribute code"), max_length=40, validators=[validate_code])
    variable = models.BooleanField(
        _("asks for input"),
        default=True,
        help_text=_("Off: the description is only shown to the resident, nothing is asked."),
    )
    datatype = models.CharField(
        _("datatype"), max_length=16, choices=AttributeDatatype.choices, default=AttributeDatatype.STRING
    )
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=1)
    description = models.CharField(_("description"), max_length=300)

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["service_code", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service_code", "code"], name="open311_attribute_code_unique"),
            models.UniqueConstraint(fields=["service_code", "order"], name="open311_attribute_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service_code} / {self.code}"


class ServiceAttributeValue(models.Model):
    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(_("key"), max_length=40, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        ordering = ["attribute", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "key"], name="open311_attribute_value_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class MediaState(models.TextChoices):
    NONE = "", _("no media")
    PENDING = "pending", _("waiting to be fetched")
    STORED = "stored", _("stored as a photo of the demand")
    REFUSED = "refused", _("refused")
    FAILED = "failed", _("could not be fetched")


class Open311Request(models.Model):
    demand = models.OneToOneField(
        "intake.Demand", on_delete=models.CASCADE, related_name="open311", verbose_name=_("demand")
    )
    service_code = models.CharField(_("service code"), max_length=40)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    address_id = models.CharField(_("address ID"), max_length=40, blank=True)
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    media_state = models.CharField(
        _("media"), max_length=8, choices=MediaState.choices, blank=True, default=MediaState.NONE
    )
    media_error = models.CharField(_("media error"), max_length=300, blank=True)
    token = models.CharField(_("token"), max_length=40, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service_code} → {self.demand_id}"


class Open311Token(models.Model):
    """A request accepted for creation in the background (`Prefer: respond-async`): the token answers
    `GET /tokens/{token}` with the request's id once the worker has created it. The validated form is
    kept only until then (it holds the resident's name and phone)."""

    token = models.CharField(_("token"), max_length=40, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    demand = models.ForeignKey(
        "intake.Demand", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 token")
        verbose_name_plural = _("Open311 tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.token
