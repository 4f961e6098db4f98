"""Whistles (吹哨) and summonses (报到): the street's call to units, and each unit's answer.

Deadlines are data: `report_in_due` / `finish_due` are stored when a step starts, with the 75% warning
times beside them, so the supervision sweep is a plain indexed query. What the sweep has done is a row of
`SummonsClaim` per (summons, stage), inserted once (unique key): the summons row itself is never rewritten
by the sweep.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.duties.models import Matter
from shaobao.intake.models import Demand
from shaobao.org.models import Division, Unit


class WhistleType(models.TextChoices):
    ROUTINE = "routine", _("routine whistle")
    PRIORITY = "priority", _("priority whistle")
    EMERGENCY = "emergency", _("emergency whistle")


class WhistleState(models.TextChoices):
    BLOWN = "blown", _("blown, units reporting in")
    HANDLING = "handling", _("being handled")
    FED_BACK = "fed_back", _("fed back, awaiting verification")
    CLOSED = "closed", _("verified and closed")


class WhistleQuerySet(models.QuerySet):
    def visible_to(self, user) -> WhistleQuerySet:
        """Street staff: their street's whistles; units: whistles that summon them; district: all of it."""
        from shaobao.intake import people

        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        q = models.Q(pk__in=[])
        streets = people.street_ids(user, people.STREET_STAFF_ROLES)
        if streets:
            q |= models.Q(street_id__in=streets)
        units = people.unit_ids(user)
        if units:
            q |= models.Q(pk__in=Summons.objects.filter(unit_id__in=units).values("whistle_id"))
        for prefix in people.district_prefixes(user):
            q |= models.Q(street__code__startswith=prefix)
        return self.filter(q)


class Whistle(models.Model):
    objects = WhistleQuerySet.as_manager()

    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="whistles")
    type = models.CharField(_("type"), max_length=12, choices=WhistleType.choices)
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="whistles", verbose_name=_("matter")
    )
    demands = models.ManyToManyField(Demand, related_name="whistles", blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=WhistleState.choices, default=WhistleState.BLOWN
    )
    note = models.TextField(_("note"), blank=True)
    blown_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    blown_at = models.DateTimeField(_("blown"), default=timezone.now, db_index=True)
    fed_back_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("rework count"), default=0)

    class Meta:
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")
        ordering = ["-blown_at", "-id"]
        indexes = [
            models.Index(fields=["street", "state", "blown_at"]),
            # The open whistles of some streets (a county's board): the last weeks' work, read without
            # touching the years of closed whistles (docs/scale.md: 292 ms → 5 ms a query at 25 M demands).
            models.Index(
                fields=["street", "id"], condition=~models.Q(state="closed"), name="whistle_open_street"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()} {self.matter.name}"


class SummonsRole(models.TextChoices):
    LEAD = "lead", _("lead unit")
    SUPPORTING = "supporting", _("supporting unit")


class SummonsState(models.TextChoices):
    SUMMONED = "summoned", _("summoned, awaiting report-in")
    DISPUTED = "disputed", _("disputed, awaiting arbitration")
    REPORTED_IN = "reported_in", _("reported in, handling")
    FINISHED = "finished", _("finished")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SummonsQuerySet(models.QuerySet):
    def visible_to(self, user) -> SummonsQuerySet:
        """Street staff: summonses of their street's whistles; units: their own; district: all of it."""
        from shaobao.intake import people

        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        q = models.Q(pk__in=[])
        streets = people.street_ids(user, people.STREET_STAFF_ROLES)
        if streets:
            q |= models.Q(whistle__street_id__in=streets)
        units = people.unit_ids(user)
        if units:
            q |= models.Q(unit_id__in=units)
        for prefix in people.district_prefixes(user):
            q |= models.Q(whistle__street__code__startswith=prefix)
        return self.filter(q)


class Summons(models.Model):
    objects = SummonsQuerySet.as_manager()

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    # No index of its own: the (unit, state) index serves every look-up by unit.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="summonses", db_index=False)
    role = models.CharField(_("role"), max_length=12, choices=SummonsRole.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=SummonsState.choices, default=SummonsState.SUMMONED
    )
    summoned_at = models.DateTimeField(default=timezone.now, db_index=True)
    report_in_due = models.DateTimeField(_("report in by"))
    report_in_warn_at = models.DateTimeField()
    finish_due = models.DateTimeField(_("finish by"))
    finish_warn_at = models.DateTimeField()
    reported_in_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)
    extension_days = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("summons")
        verbose_name_plural = _("summonses")
        ordering = ["whistle", "role", "id"]
        indexes = [
            models.Index(fields=["unit", "state"]),
            # The overdue board (summonses past a deadline, claimed or not).
            models.Index(fields=["state", "finish_due"], name="summons_state_finish_due"),
            # The sweep's four scans, in index order: open rows only. Claimed rows stay in them until the
            # summons moves on; the sweep walks each index forward from where its last batch stopped, so a
            # pass reads each due row once. The warning scans carry the deadline too, so rows already
            # overdue (no warning any more) are passed over in the index, without reading the table.
            models.Index(
                fields=["report_in_warn_at", "report_in_due", "id"],
                name="summons_ri_warn_due_open",
                condition=models.Q(state="summoned"),
            ),
            models.Index(
                fields=["report_in_due", "id"],
                name="summons_ri_due_open",
                condition=models.Q(state="summoned"),
            ),
            models.Index(
                fields=["finish_warn_at", "finish_due", "id"],
                name="summons_fin_warn_due_open",
                condition=models.Q(state__in=["summoned", "reported_in"]),
            ),
            models.Index(
                fields=["finish_due", "id"],
                name="summons_fin_due_open",
                condition=models.Q(state__in=["summoned", "reported_in"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ whistle #{self.whistle_id}"


class ClaimStage(models.TextChoices):
    REPORT_IN_WARNING = "report_in_warning", _("report-in warning")
    REPORT_IN_OVERDUE = "report_in_overdue", _("report-in overdue")
    FINISH_WARNING = "finish_warning", _("finish warning")
    FINISH_OVERDUE = "finish_overdue", _("finish overdue")


class SummonsClaim(models.Model):
    """One stage of the supervision sweep done for one summons (warned, or marked overdue).

    Inserted by the sweep with ON CONFLICT DO NOTHING on the (summons, stage) key, so of two sweepers only
    one gets the row back and acts; deleted by the actions that restart a deadline (extension, rework,
    rejected dispute), so the new deadline is supervised again. A narrow table of its own: claiming does not
    rewrite the wide summons row and its many indexes."""

    pk = models.CompositePrimaryKey("summons", "stage")
    # No database foreign key: the sweep inserts a claim only while it holds the summons row locked (so
    # the summons exists), deletions cascade through the ORM, and a constraint would cost one more
    # referential check query per claimed row (about a tenth of a sweep pass over 10,000 rows).
    summons = models.ForeignKey(
        Summons, on_delete=models.CASCADE, related_name="claims", db_index=False, db_constraint=False
    )
    stage = models.CharField(max_length=20, choices=ClaimStage.choices)
    claimed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("supervision claim")
        verbose_name_plural = _("supervision claims")

    def __str__(self) -> str:
        return f"{self.stage} summons #{self.summons_id}"


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("pending")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")


class ExtensionRequest(models.Model):
    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="extension_requests")
    days = models.PositiveIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["summons"],
                name="one_pending_extension_per_summons",
                condition=models.Q(state="pending"),
            )
        ]


class SupervisionKind(models.TextChoices):
    WARNING = "warning", _("warning")
    SUPERVISION = "supervision", _("supervision order")
    ESCALATION = "escalation", _("escalation")


class SupervisionOrder(models.Model):
    """督办: issued by the sweep when a limit passes, shown on the district board."""

    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="supervision_orders")
    kind = models.CharField(max_length=12, choices=SupervisionKind.choices)
    stage = models.CharField(max_length=12)  # "report_in" or "finish"
    issued_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Claimed by the sweep when an unresolved supervision order is raised to the district (提级).
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-id"]
        # The escalation scan only: open supervision orders by age. Partial, so that warnings and
        # resolved or escalated orders (most of them) add nothing to it; orders are otherwise read by
        # summons (its foreign-key index).
        indexes = [
            models.Index(
                fields=["issued_at"],
                name="order_open_supervision",
                condition=models.Q(kind="supervision", resolved_at__isnull=True, escalated_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stage} summons #{self.summons_id}"


class ProgressNote(models.Model):
    """What a unit did: notes and photos recorded while handling."""

    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="progress_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    photo = models.ImageField(upload_to="progress/%Y/%m/", blank=True)
    at = models.DateTimeField(default=timezone.now)
