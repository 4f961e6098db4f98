"""Delegated powers (赋权清单) and the records of the street's four powers.

A delegated power is an administrative power a district department hands to streets/townships: its code,
name, category, legal basis, the department it comes from, the streets it goes to, the day it takes effect.
Every change is a new `PowerVersion` (a snapshot of the fields); a withdrawn power keeps its history but no
longer acts (routing ignores it). Matters are linked by code, which stays the same across duty-list versions.

The street's powers are recorded actions: a proposal on handling (处置建议) or an urge note (统筹督促) on a
summons, which the summoned unit answers; recommendations on the appointment of staff stationed at the
street (派驻人员任免建议), which the department answers. Evaluating enforcement (执法评价) is the bottom-up
rating of shaobao.evaluation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shaobao.org.models import Division, Unit


class PowerCategory(models.TextChoices):
    PENALTY = "penalty", _("administrative penalty")
    INSPECTION = "inspection", _("administrative inspection")
    ENFORCEMENT_MEASURE = "enforcement_measure", _("administrative enforcement measure")
    LICENSING = "licensing", _("administrative licensing")
    OTHER = "other", _("other administrative power")


class PowerStatus(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    WITHDRAWN = "withdrawn", _("withdrawn")


class DelegatedPowerQuerySet(models.QuerySet):
    def acting(self, on: dt.date | None = None) -> DelegatedPowerQuerySet:
        """Powers that act on a day (today by default): in force and already effective."""
        on = on or timezone.localdate()
        return self.filter(status=PowerStatus.IN_FORCE, effective_date__lte=on)


class DelegatedPower(models.Model):
    objects = DelegatedPowerQuerySet.as_manager()

    district = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="delegated_powers", verbose_name=_("district")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=24, choices=PowerCategory.choices)
    legal_basis = models.TextField(_("legal basis"))
    department = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="delegated_powers", verbose_name=_("department")
    )
    streets = models.ManyToManyField(
        Division, related_name="powers_received", verbose_name=_("streets/townships")
    )
    effective_date = models.DateField(_("effective date"))
    status = models.CharField(
        _("status"), max_length=12, choices=PowerStatus.choices, default=PowerStatus.IN_FORCE
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delegated power")
        verbose_name_plural = _("delegated powers")
        ordering = ["district", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="unique_power_code_per_district"),
            # A power without its legal basis is not a power: refused by the database too.
            models.CheckConstraint(condition=~models.Q(legal_basis=""), name="power_has_legal_basis"),
        ]
        indexes = [models.Index(fields=["status", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_acting(self) -> bool:
        return self.status == PowerStatus.IN_FORCE and self.effective_date <= timezone.localdate()


class PowerMatter(models.Model):
    """A matter of the duty list (by its code, stable across versions) whose enforcement the power covers."""

    power = models.ForeignKey(DelegatedPower, on_delete=models.CASCADE, related_name="matters")
    matter_code = models.CharField(_("matter code"), max_length=40, db_index=True)

    class Meta:
        verbose_name = _("covered matter")
        verbose_name_plural = _("covered matters")
        constraints = [models.UniqueConstraint(fields=["power", "matter_code"], name="unique_power_matter")]

    def __str__(self) -> str:
        return self.matter_code


class PowerChange(models.TextChoices):
    CREATED = "created", pgettext_lazy("power change", "created")
    EDITED = "edited", pgettext_lazy("power change", "edited")
    IMPORTED = "imported", pgettext_lazy("power change", "imported")
    WITHDRAWN = "withdrawn", pgettext_lazy("power change", "withdrawn")


class PowerVersion(models.Model):
    """One version of a power: what it said after a change, who changed it and why."""

    power = models.ForeignKey(DelegatedPower, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    change = models.CharField(_("change"), max_length=12, choices=PowerChange.choices)
    snapshot = models.JSONField(_("content"))
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("power version")
        verbose_name_plural = _("power versions")
        ordering = ["power", "-version"]
        constraints = [models.UniqueConstraint(fields=["power", "version"], name="unique_power_version")]

    def __str__(self) -> str:
        return f"{self.power_id} v{self.version}"


# --- the street's powers -------------------------------------------------------------------------------


class NoteKind(models.TextChoices):
    PROPOSAL = "proposal", _("proposal on handling")
    URGE = "urge", _("urge note")


class AnswerState(models.TextChoices):
    OPEN = "open", _("awaiting answer")
    ANSWERED = "answered", _("answered")


class StreetNote(models.Model):
    """处置建议 / 统筹督促: the street writes on a summons, the summoned unit must answer.

    Urge notes count in the unit's evaluation (`shaobao.powers.figures.URGE_NOTES`)."""

    kind = models.CharField(_("kind"), max_length=12, choices=NoteKind.choices)
    summons = models.ForeignKey(
        "whistles.Summons", on_delete=models.CASCADE, related_name="street_notes", verbose_name=_("summons")
    )
    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street"))
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="street_notes", verbose_name=_("unit")
    )
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("issued"), default=timezone.now, db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=AnswerState.choices, default=AnswerState.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("street note")
        verbose_name_plural = _("street notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class StationedStaff(models.Model):
    """A person a department has stationed at a street (派驻人员)."""

    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="stationed_staff", verbose_name=_("street")
    )
    department = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="stationed_staff", verbose_name=_("department")
    )
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=100)
    since = models.DateField(_("stationed since"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stationed staff member")
        verbose_name_plural = _("stationed staff")
        ordering = ["street", "department", "name"]

    def __str__(self) -> str:
        return self.name


class RecommendationKind(models.TextChoices):
    APPOINTMENT = "appointment", _("appointment")
    REMOVAL = "removal", _("removal")
    TRANSFER = "transfer", _("transfer")


class RecommendationState(models.TextChoices):
    FILED = "filed", _("filed, awaiting the department")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class Recommendation(models.Model):
    """派驻人员任免建议: the street recommends, the department answers once."""

    staff = models.ForeignKey(
        StationedStaff, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("staff")
    )
    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street"))
    department = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("department")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RecommendationKind.choices)
    reason = models.TextField(_("reason"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    state = models.CharField(
        _("state"), max_length=12, choices=RecommendationState.choices, default=RecommendationState.FILED
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment recommendation")
        verbose_name_plural = _("appointment recommendations")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.staff}"
