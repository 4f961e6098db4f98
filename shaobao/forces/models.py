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
    # The sending unit when deployed (null: the reserve pool); kept here so a unit's figures stay put.
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deployments",
        verbose_name=_("unit"),
    )
    village_post = models.ForeignKey(
        "VillagePost",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deployments",
        verbose_name=_("village post"),
    )
    post = models.CharField(_("post"), max_length=100, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    end_note = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["host", "starts_on"]),
            models.Index(fields=["mode", "starts_on"]),
            models.Index(fields=["unit", "starts_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="deployment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.host_enterprise or self.host} ({self.get_mode_display()})"

    @property
    def host_street_id(self) -> int | None:
        """The street that commands the cadre: the host itself, or the street of the host village."""
        return self.host_id if self.host.level == "street" else self.host.parent_id

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


def active_on_q(day, prefix: str = "") -> Q:
    """Deployments running on `day` (a field prefix like "deployment__" for related rows)."""
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )


def overlaps_q(first, last, prefix: str = "") -> Q:
    """Deployments running on at least one day of first..last."""
    return Q(**{f"{prefix}starts_on__lte": last}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": first})
    )


class VillagePost(models.Model):
    """A post in a village (到村任职): filled by a VILLAGE_POST deployment; vacant when none runs."""

    village = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="village_posts", verbose_name=_("village/community")
    )
    title = models.CharField(_("post"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("village post")
        verbose_name_plural = _("village posts")
        ordering = ["village__code", "title", "id"]
        constraints = [models.UniqueConstraint(fields=["village", "title"], name="unique_village_post")]

    def __str__(self) -> str:
        return f"{self.village} · {self.title}"


class Quota(models.Model):
    """What a unit promised to keep in the field: `share` of its `staff` present on an average day."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="force_quotas", verbose_name=_("unit")
    )
    staff = models.PositiveIntegerField(_("staff"))
    share = models.DecimalField(_("share in the field"), max_digits=4, decimal_places=3)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["-starts_on", "unit__code"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="quota_ends_after_start"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="quota_share_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.share:.0%}"

    @property
    def required_per_day(self) -> float:
        return float(self.share) * self.staff


class PresenceLog(models.Model):
    """A cadre at the host on a day (one a day: tapping again keeps the first, adds the note)."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="presence_logs", verbose_name=_("deployment")
    )
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="presence_logs")
    day = models.DateField(_("day"))
    note = models.TextField(_("work done"), blank=True)
    at = models.DateTimeField(_("logged"), default=timezone.now)

    class Meta:
        verbose_name = _("presence log")
        verbose_name_plural = _("presence logs")
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["cadre", "day"], name="one_presence_a_day")]
        indexes = [models.Index(fields=["day", "deployment"])]


class TaskKind(models.TextChoices):
    GENERAL = "general", _("task of the host")
    DEMAND = "demand", _("self-handled demand")
    WHISTLE = "whistle", _("supporting hand on a whistle")


class TaskState(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class CadreTask(models.Model):
    """An order of the host's dispatcher to a deployed cadre (一听: whose orders they follow)."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("deployment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices, default=TaskKind.GENERAL)
    title = models.CharField(_("task"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    demand = models.ForeignKey(
        "intake.Demand", null=True, blank=True, on_delete=models.PROTECT, related_name="cadre_tasks"
    )
    whistle = models.ForeignKey(
        "whistles.Whistle", null=True, blank=True, on_delete=models.PROTECT, related_name="cadre_tasks"
    )
    state = models.CharField(_("state"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("cadre task")
        verbose_name_plural = _("cadre tasks")
        ordering = ["state", "-assigned_at", "-id"]

    def __str__(self) -> str:
        return self.title


class TaskNote(models.Model):
    task = models.ForeignKey(CadreTask, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class AssessorKind(models.TextChoices):
    """Who sits on an assessment panel; the first three are the grassroots (at least one third)."""

    VILLAGE_PARTY_SECRETARY = "village_party_secretary", _("village party secretary")
    PARTY_CONGRESS_DEPUTY = "party_congress_deputy", _("grassroots party congress deputy")
    PEOPLES_CONGRESS_DEPUTY = "peoples_congress_deputy", _("people's congress deputy")
    STREET_OFFICIAL = "street_official", _("street/township official")
    UNIT_REPRESENTATIVE = "unit_representative", _("representative of the sending unit")
    OTHER = "other", _("other")


GRASSROOTS_KINDS = frozenset(
    {
        AssessorKind.VILLAGE_PARTY_SECRETARY,
        AssessorKind.PARTY_CONGRESS_DEPUTY,
        AssessorKind.PEOPLES_CONGRESS_DEPUTY,
    }
)


class AssessmentRound(models.Model):
    """The host's assessment of the cadres sent to it, for a period."""

    host = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="cadre_assessments", verbose_name=_("host")
    )
    title = models.CharField(_("title"), max_length=100)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        ordering = ["-ends_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="assessment_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Assessor(models.Model):
    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="assessors")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=24, choices=AssessorKind.choices)

    class Meta:
        verbose_name = _("assessor")
        verbose_name_plural = _("assessors")
        ordering = ["id"]

    @property
    def is_grassroots(self) -> bool:
        return self.kind in GRASSROOTS_KINDS


class CadreScore(models.Model):
    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="scores")
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="scores")
    # The sending unit at the time (null: the reserve pool), so that the unit's evaluation can read it.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    comment = models.CharField(_("comment"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("cadre score")
        verbose_name_plural = _("cadre scores")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "deployment"], name="one_score_per_deployment"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="score_0_100"),
        ]
