"""Key-task lists (重点任务清单), monthly topics (每月一题) and accountability referrals (追责问责).

A key task (a measure of an area) has a lead unit, participating units, a deadline and milestones; its
75 % warning time is stored beside the deadline (deadlines are data, as for summonses), so the sweep is a
plain indexed query. What the sweep has done is a `KeyTaskClaim` per (task, stage), unique on that pair.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.duties.models import Matter
from shaobao.org.models import Division, Grid, Unit
from shaobao.whistles.models import SupervisionKind, SupervisionOrder, Whistle


class Area(models.Model):
    """An area of a year's key-task list (Yunnan: 7 areas, 45 measures)."""

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("key-task area")
        verbose_name_plural = _("key-task areas")
        ordering = ["district", "-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "number"], name="unique_area_number")
        ]

    def __str__(self) -> str:
        return f"{self.year}·{self.number} {self.name}"


class KeyTaskState(models.TextChoices):
    OPEN = "open", _("in progress")
    DONE = "done", _("completed")


class KeyTaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> KeyTaskQuerySet:
        """Every staff member of the district sees its key-task lists (who leads what is public within
        the administration); others nothing."""
        from shaobao.org.models import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self
        if not scope.roles or not scope.district_prefixes:
            return self.none()
        from shaobao.org.access import STAFF_ROLES

        if not scope.roles & STAFF_ROLES:
            return self.none()
        return self.filter(scope.code_q("district__code", district_wide=True))


class KeyTask(models.Model):
    """One measure (举措) of a key-task list, or the key task a monthly topic became."""

    objects = KeyTaskQuerySet.as_manager()

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("area")
    )
    number = models.CharField(_("number"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("measures"), blank=True)
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="led_key_tasks", verbose_name=_("lead unit")
    )
    participating_units = models.ManyToManyField(
        Unit, related_name="key_tasks", blank=True, verbose_name=_("participating units")
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    warn_at = models.DateTimeField()
    state = models.CharField(
        _("state"), max_length=8, choices=KeyTaskState.choices, default=KeyTaskState.OPEN
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        ordering = ["area__number", "number", "id"]
        indexes = [
            # The sweep's scans and the board: open tasks by deadline.
            models.Index(
                fields=["warn_at", "deadline"], name="keytask_warn_open", condition=models.Q(state="open")
            ),
            models.Index(fields=["deadline"], name="keytask_due_open", condition=models.Q(state="open")),
            models.Index(fields=["lead_unit", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        if self.state == KeyTaskState.DONE:
            return bool(self.done_at and self.done_at > self.deadline)
        return self.deadline <= now


class Milestone(models.Model):
    key_task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("milestone"), max_length=200)
    due = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["key_task", "order", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """What a unit reported: a note, the percentage done (lead unit), a milestone reached."""

    key_task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-at", "-id"]


class KeyTaskStage(models.TextChoices):
    WARNING = "warning", _("deadline warning")
    OVERDUE = "overdue", _("overdue")


class KeyTaskClaim(models.Model):
    """One sweep stage done for one key task (unique): the sweep acts once per (task, stage); a new
    deadline deletes the claims so that it is supervised again."""

    key_task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="claims")
    stage = models.CharField(max_length=10, choices=KeyTaskStage.choices)
    claimed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_task", "stage"], name="unique_keytask_claim")]


class KeyTaskOrder(models.Model):
    """督办 of a key task: a warning, a supervision order when the deadline passes, an escalation when
    the order stays unresolved (resolved when the task is completed or its deadline moves)."""

    key_task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="orders")
    kind = models.CharField(_("kind"), max_length=12, choices=SupervisionKind.choices)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("key-task supervision order")
        verbose_name_plural = _("key-task supervision orders")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(
                fields=["issued_at"],
                name="keytask_order_open",
                condition=models.Q(kind="supervision", resolved_at__isnull=True, escalated_at__isnull=True),
            )
        ]


class TopicLevel(models.TextChoices):
    STREET = "street", _("street/township")
    COMMUNITY = "community", _("community/village")
    GRID = "grid", _("grid (hot spot)")


class Topic(models.Model):
    """A month's topic (每月一题): a matter in a place picked by the coordinator, tackled as a key task."""

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+", verbose_name=_("matter"))
    level = models.CharField(_("place level"), max_length=10, choices=TopicLevel.choices)
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    community = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community/village"),
    )
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # "level:street:community:grid" (empty for none): the place as one NOT NULL value, so that the unique key
    # (district, month, matter, place_key) holds on both databases — a NULL community or grid never collides
    # in a plain unique constraint, so two coordinators picking the same street-level topic at the same
    # moment would both succeed. Set by `save()` from the fields.
    place_key = models.CharField(max_length=60, editable=False, default="")
    # The candidate's figures when it was picked.
    figures = models.JSONField(default=dict, blank=True)
    key_task = models.OneToOneField(KeyTask, on_delete=models.PROTECT, related_name="topic")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("monthly topic")
        verbose_name_plural = _("monthly topics")
        ordering = ["-month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "month", "matter", "place_key"], name="unique_topic_place_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.matter.name}"

    @staticmethod
    def key_of(level: str, street_id, community_id, grid_id) -> str:
        return f"{level}:{street_id}:{community_id or ''}:{grid_id or ''}"

    def save(self, *args, **kwargs):
        self.place_key = self.key_of(self.level, self.street_id, self.community_id, self.grid_id)
        super().save(*args, **kwargs)


class ReferralKind(models.TextChoices):
    IGNORED_ORDER = "ignored_order", _("supervision order ignored")
    OVERDUE_TASK = "overdue_task", _("key task long overdue")
    REPEATED_REWORK = "repeated_rework", _("repeated rework")


class ReferralState(models.TextChoices):
    REFERRED = "referred", _("referred, awaiting decision")
    DECIDED = "decided", _("decided, awaiting outcome")
    CLOSED = "closed", _("outcome recorded")


class Decision(models.TextChoices):
    NO_ACTION = "no_action", _("no accountability")
    REMINDER = "reminder", _("reminder talk")
    CRITICISM = "criticism", _("circulated criticism")
    ADMONISHMENT = "admonishment", _("admonishment")
    DISCIPLINE = "discipline", _("referred to the discipline inspection body")


class Referral(models.Model):
    """追责问责: failed supervision referred for accountability, with the facts from the audit trail."""

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("ground"), max_length=20, choices=ReferralKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    supervision_order = models.ForeignKey(
        SupervisionOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key_task = models.ForeignKey(
        KeyTask, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    whistle = models.ForeignKey(Whistle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_key = models.CharField(max_length=40)  # "order:12", "task:3", "whistle:9": one open referral each
    reason = models.TextField(_("reason"))
    facts = models.JSONField(_("facts"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ReferralState.choices, default=ReferralState.REFERRED
    )
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField(_("referred"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=14, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)

    class Meta:
        verbose_name = _("accountability referral")
        verbose_name_plural = _("accountability referrals")
        ordering = ["-referred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject_key"], name="unique_referral_subject")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.unit}"


class DemandMonthCount(models.Model):
    """Demands per month and (matter, street, community, grid), for months that have settled (ended
    TOPIC_SETTLE_DAYS ago): the topic candidates read the 3 months before the month from here instead of
    re-reading their demands. Written once per month by `topics.ensure_rolled` (plain ids, no foreign keys:
    a summary, never joined)."""

    month = models.CharField(max_length=7)
    matter_id = models.BigIntegerField()
    street_id = models.BigIntegerField()
    community_id = models.BigIntegerField(null=True)
    grid_id = models.BigIntegerField(null=True)
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "street_id"])]


class RolledMonth(models.Model):
    """A month whose `DemandMonthCount` rows are written (unique: written once)."""

    month = models.CharField(max_length=7, unique=True)
    rolled_at = models.DateTimeField(default=timezone.now)
