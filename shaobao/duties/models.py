"""Duty lists (权责清单): which matter belongs to which lead unit and supporting units, with time limits.

A list is versioned: a draft may be edited; once published it never changes, and every later record
(whistle, routing proposal) points at the matter of the version it was decided under. Streets may
override a matter's units or limits for their own territory ("一乡一策").
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from shaobao.core.choices import TimeLimitUnit, Urgency
from shaobao.core.errors import Conflict
from shaobao.org.models import Division, Unit


class FrozenDutyList(Conflict, ValueError):
    """A write to a published or retired duty list: those never change, make a new version instead.

    Also a ValueError so that code written against the first model (which raised ValueError) still works.
    """

    code = "duty_list_frozen"

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or "已发布的权责清单不能修改，请新建版本 / a published duty list never changes; make a new version"
        )


FROZEN_STATUSES = ("published", "retired")


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

    def delete(self):
        if self.filter(status__in=FROZEN_STATUSES).exists():
            raise FrozenDutyList()
        return super().delete()


class DutyList(models.Model):
    objects = DutyListQuerySet.as_manager()

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="duty_lists")
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=DutyListStatus.choices, default="draft")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("based on"),
        help_text=_("the version this draft was copied from"),
    )

    class Meta:
        verbose_name = _("duty list")
        verbose_name_plural = _("duty lists")
        ordering = ["district", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "version"], name="unique_duty_list_version"),
            # At most one version in force per district, whatever races between two publishers.
            models.UniqueConstraint(
                fields=["district"],
                condition=models.Q(status="published"),
                name="one_published_duty_list_per_district",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status != DutyListStatus.DRAFT

    # Once published, only the status may move on (published → retired) with its timestamps.
    _MUTABLE_WHEN_FROZEN = {"status", "published_at", "retired_at"}
    _ALLOWED_FROZEN_MOVES = {("published", "published"), ("published", "retired"), ("retired", "retired")}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            old = DutyList.objects.filter(pk=self.pk).values().first()
            if old is not None and old["status"] in FROZEN_STATUSES:
                if (old["status"], self.status) not in self._ALLOWED_FROZEN_MOVES:
                    raise FrozenDutyList()
                for field in self._meta.concrete_fields:
                    if field.attname in self._MUTABLE_WHEN_FROZEN or field.attname not in old:
                        continue
                    if old[field.attname] != getattr(self, field.attname):
                        raise FrozenDutyList()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise FrozenDutyList()
        return super().delete(*args, **kwargs)


class MatterQuerySet(models.QuerySet):
    """Bulk writes bypass `Matter.save`, so they check the lists they touch here."""

    def _refuse_frozen(self) -> None:
        if self.filter(duty_list__status__in=FROZEN_STATUSES).exists():
            raise FrozenDutyList()

    def update(self, **kwargs):
        self._refuse_frozen()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_frozen()
        return super().delete()


class Matter(models.Model):
    objects = MatterQuerySet.as_manager()

    # CASCADE so that a draft can be thrown away; published and retired lists refuse deletion.
    duty_list = models.ForeignKey(DutyList, on_delete=models.CASCADE, related_name="matters")
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

    def _refuse_if_frozen(self) -> None:
        # Ask the database, not the cached `duty_list`: it may have been published since it was loaded.
        if DutyList.objects.filter(pk=self.duty_list_id, status__in=FROZEN_STATUSES).exists():
            raise FrozenDutyList()
        if (
            self.pk is not None
            and Matter.objects.filter(pk=self.pk, duty_list__status__in=FROZEN_STATUSES).exists()
        ):
            raise FrozenDutyList()  # moving a published list's matter into a draft is a change too

    def save(self, *args, **kwargs):
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)


class MatterOverrideQuerySet(models.QuerySet):
    def _refuse_frozen(self) -> None:
        if self.filter(matter__duty_list__status__in=FROZEN_STATUSES).exists():
            raise FrozenDutyList()

    def update(self, **kwargs):
        self._refuse_frozen()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_frozen()
        return super().delete()


class MatterOverride(models.Model):
    """A street's own rule for a matter ("一乡一策"); empty fields keep the list's value.

    Overrides belong to the matter row, hence to one version of the list: they are copied into each new
    draft and frozen with it when it is published.
    """

    objects = MatterOverrideQuerySet.as_manager()

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

    def __str__(self) -> str:
        return f"{self.matter.code} @ {self.street}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        street = self.street if self.street_id else None
        if street is not None and street.level != "street":
            raise ValidationError({"street": _("choose a street or township")})
        if street is not None and self.matter_id:
            district = self.matter.duty_list.district
            if not street.code.startswith(district.prefix):
                raise ValidationError({"street": _("the street must be in the list's district")})
        if self.time_limit_unit and not self.time_limit:
            raise ValidationError({"time_limit": _("a time limit unit needs a time limit")})

    def _refuse_if_frozen(self) -> None:
        # Ask the database: the cached matter's list may have been published since it was loaded.
        if Matter.objects.filter(pk=self.matter_id, duty_list__status__in=FROZEN_STATUSES).exists():
            raise FrozenDutyList()
        if (
            self.pk is not None
            and MatterOverride.objects.filter(
                pk=self.pk, matter__duty_list__status__in=FROZEN_STATUSES
            ).exists()
        ):
            raise FrozenDutyList()

    def save(self, *args, **kwargs):
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)


# m2m `add/remove/clear/set` never call save(); these guards keep the supporting units of a published
# list as they were. (A guard on this app's own invariant, not a cross-app reaction.) Django runs m2m writes
# in atomic(savepoint=False), so a refused one also spoils the caller's transaction: callers that want to
# go on after catching FrozenDutyList wrap the write in their own `transaction.atomic()`.
@receiver(m2m_changed, sender=Matter.supporting_units.through)
def _guard_matter_supporting_units(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("pre_"):
        return
    if not reverse:
        frozen = isinstance(instance, Matter) and instance.duty_list.is_frozen
    elif pk_set is None:  # unit.supported_matters.clear()
        frozen = instance.supported_matters.filter(duty_list__status__in=FROZEN_STATUSES).exists()
    else:
        frozen = Matter.objects.filter(pk__in=pk_set, duty_list__status__in=FROZEN_STATUSES).exists()
    if frozen:
        raise FrozenDutyList()


@receiver(m2m_changed, sender=MatterOverride.supporting_units.through)
def _guard_override_supporting_units(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("pre_"):
        return
    if not reverse:
        frozen = instance.matter.duty_list.is_frozen
    elif pk_set is None:
        frozen = MatterOverride.objects.filter(
            supporting_units=instance, matter__duty_list__status__in=FROZEN_STATUSES
        ).exists()
    else:
        frozen = MatterOverride.objects.filter(
            pk__in=pk_set, matter__duty_list__status__in=FROZEN_STATUSES
        ).exists()
    if frozen:
        raise FrozenDutyList()
