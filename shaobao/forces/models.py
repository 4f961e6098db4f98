"""Forces sent down (干部下沉): the people a unit (or the reserve pool) sends to a host, and how.

"街乡吹哨、部门报到, 关键在于力量下沉": a deployment puts a cadre at a host (a street/township, a village/community,
or an enterprise in a street) for a period, in one of the six modes of the seeds, with a post and duties.
From then on the host is where the cadre eats, works, is assessed and takes orders (三在一听).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.org.models import Division, Unit


class DeploymentMode(models.TextChoices):
    """The six modes of sending down (Pinggu); the codes are stable (API, exports)."""

    ENFORCEMENT = "enforcement", _("enforcement force sent down")  # 执法力量下沉
    KEY_TASK = "key_task", _("key task sent down")  # 攻坚任务下沉
    VILLAGE_HOUSEHOLD = (
        "village_household",
        _("stationed in a village, paired with households"),
    )  # 驻村包户下沉
    DEPARTMENT_SERVICE = "department_service", _("department service sent down")  # 部门服务下沉
    VILLAGE_POST = "village_post", _("post in a village")  # 到村任职下沉
    COMMUNITY_CHECKIN = "community_checkin", _("community check-in")  # 社区报到下沉


class Cadre(models.Model):
    """A person who can be sent down: staff of a unit, or of the district's reserve pool (后备力量库)."""

    name = models.CharField(_("name"), max_length=60)
    # A cadre with an account can log presence and handle tasks; one without is recorded by the host.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadre",
        verbose_name=_("account"),
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cadres",
        verbose_name=_("unit"),
    )
    # The district the cadre belongs to (the unit's, or the reserve pool's when there is no unit).
    district = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("district")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    title = models.CharField(_("position"), max_length=60, blank=True)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    in_reserve = models.BooleanField(_("in the reserve pool"), default=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Deployment(models.Model):
    """A cadre at a host for a period, in one mode, with a post and duties."""

    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="deployments", verbose_name=_("cadre")
    )
    mode = models.CharField(_("mode"), max_length=24, choices=DeploymentMode.choices, db_index=True)
    # The host: a street/township or a village/community; an enterprise is named beside the street it is in.
    host = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="hosted_deployments", verbose_name=_("host")
    )
    host_enterprise = models.CharField(_("enterprise"), max_length=100, blank=True)
    post = models.CharField(_("post"), max_length=100, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["host", "starts_on"]), models.Index(fields=["mode", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="deployment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.host_enterprise or self.host} ({self.get_mode_display()})"
