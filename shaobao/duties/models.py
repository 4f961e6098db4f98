"""Duty lists (权责清单): which matter belongs to which lead unit and supporting units, with time limits.

A list is versioned: a draft may be edited; once published it never changes, and every later record
(whistle, routing proposal) points at the matter of the version it was decided under. Streets may
override a matter's units or limits for their own territory ("一乡一策").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shaobao.core.choices import TimeLimitUnit, Urgency
from shaobao.org.models import Division, Unit


class Domain(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DutyListStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class DutyListQuerySet(models.QuerySet):
    def in_force(self, district: Division) -> DutyList | None:
        """The latest published version for a district."""
        return self.filter(district=district, status=DutyListStatus.PUBLISHED).order_by("-version").first()


class DutyList(models.Model):
    objects = DutyListQuerySet.as_manager()

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="duty_lists")
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=DutyListStatus.choices, default="draft")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty list")
        verbose_name_plural = _("duty lists")
        ordering = ["district", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "version"], name="unique_duty_list_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status != DutyListStatus.DRAFT


class Matter(models.Model):
    duty_list = models.ForeignKey(DutyList, on_delete=models.PROTECT, related_name="matters")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="matters")
    description = models.TextField(_("description"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="led_matters")
    supporting_units = models.ManyToManyField(Unit, blank=True, related_name="supported_matters")
    time_limit = models.PositiveIntegerField(_("time limit"))
    time_limit_unit = models.CharField(_("time limit unit"), max_length=16, choices=TimeLimitUnit.choices)
    default_urgency = models.CharField(
        _("default urgency"), max_length=12, choices=Urgency.choices, default="normal"
    )
    street_may_handle = models.BooleanField(_("street may handle without a whistle"), default=False)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["duty_list", "code"]
        constraints = [
            models.UniqueConstraint(fields=["duty_list", "code"], name="unique_matter_code_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        if self.duty_list.is_frozen:
            raise ValueError("a published duty list never changes; make a new version")
        super().save(*args, **kwargs)


class MatterOverride(models.Model):
    """A street's own rule for a matter ("一乡一策"); empty fields keep the list's value."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="overrides")
    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="matter_overrides")
    lead_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supporting_units = models.ManyToManyField(Unit, blank=True, related_name="+")
    replace_supporting_units = models.BooleanField(default=False)
    time_limit = models.PositiveIntegerField(null=True, blank=True)
    time_limit_unit = models.CharField(max_length=16, choices=TimeLimitUnit.choices, blank=True)
    street_may_handle = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("street override")
        verbose_name_plural = _("street overrides")
        constraints = [
            models.UniqueConstraint(fields=["matter", "street"], name="unique_override_per_street")
        ]
