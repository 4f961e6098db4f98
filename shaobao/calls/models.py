"""Calls up the levels (乡呼县应): what a township cannot solve with its own and its district's units it
calls up to the county (district) centre; a county calls the city centre the same way.

A `Call` goes from a caller division (a street, or a district) to the centre above it (the district, or the
city). The centre assigns its departments (`CallAssignment`, one lead and any supporting), which report in,
may dispute, and finish under the same rules as a whistle's summonses: the same transition table
(`whistles.states.SUMMONS_TRANSITIONS`) and the same deadlines (`whistles.deadlines`, working days from
`core.calendar`), stored when a step starts. The caller verifies the result and rates each department
(`CallRating`, 1–5): the bottom-up part (30%) of the departments' evaluation at that level.

A county centre that cannot solve a township's call either calls the city: a child call (caller: the
district, centre: the city, `parent` the township's call) whose verified result feeds the township's call
back for the township to verify.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.org.models import Division, Unit
from shaobao.whistles.models import (
    ClaimStage,
    ExtensionState,
    SummonsRole,
    SummonsState,
    SupervisionKind,
    WhistleType,
)


class CallLevel(models.TextChoices):
    COUNTY = "county", _("county centre")
    CITY = "city", _("city centre")


class CallState(models.TextChoices):
    RAISED = "raised", _("called, awaiting assignment")
    ASSIGNED = "assigned", _("assigned, departments reporting in")
    HANDLING = "handling", _("being handled by departments")
    CALLED_UP = "called_up", _("called up to the level above")
    FED_BACK = "fed_back", _("fed back, awaiting the caller's verification")
    CLOSED = "closed", _("verified and closed")


OPEN_CALL_STATES = frozenset(
    {CallState.RAISED, CallState.ASSIGNED, CallState.HANDLING, CallState.CALLED_UP, CallState.FED_BACK}
)


class CallQuerySet(models.QuerySet):
    def visible_to(self, user) -> CallQuerySet:
        """Street staff: their street's calls; departments: calls they are assigned to; a county centre:
        the calls of its district (from its streets, and its own calls to the city); the city centre:
        every call in the city. One area at a time (org.acting)."""
        from shaobao.intake import people

        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        q = models.Q(pk__in=[])
        streets = people.street_ids(user, people.STREET_STAFF_ROLES)
        if streets:
            q |= models.Q(caller_id__in=streets)
        units = people.unit_ids(user)
        if units:
            q |= models.Q(pk__in=CallAssignment.objects.filter(unit_id__in=units).values("call_id"))
        for prefix in people.district_prefixes(user):
            q |= models.Q(caller__code__startswith=prefix)
        for prefix in city_prefixes(user):
            q |= models.Q(centre__code__startswith=prefix) | models.Q(caller__code__startswith=prefix)
        return self.filter(q)


def city_prefixes(user) -> set[str]:
    """The cities whose centre the user staffs (city coordinators), as 4-digit prefixes."""
    from shaobao.intake import people

    return {s.division_code[:4] for s in people.seats(user) if s.role == "city_coordinator"}


class Call(models.Model):
    objects = CallQuerySet.as_manager()

    caller = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="calls_made", verbose_name=_("caller")
    )
    centre = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="calls_received", verbose_name=_("centre")
    )
    level = models.CharField(_("level"), max_length=8, choices=CallLevel.choices)
    type = models.CharField(
        _("type"), max_length=12, choices=WhistleType.choices, default=WhistleType.ROUTINE
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("what the caller could not solve"))
    state = models.CharField(_("state"), max_length=12, choices=CallState.choices, default=CallState.RAISED)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("call carried up"),
    )
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("called"), default=timezone.now, db_index=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    fed_back_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    rework_count = models.PositiveIntegerField(_("rework count"), default=0)
    idempotency_key = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        verbose_name = _("call up")
        verbose_name_plural = _("calls up")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["centre", "state", "raised_at"]),
            models.Index(fields=["caller", "state", "raised_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["raised_by", "idempotency_key"],
                name="call_idempotency",
                condition=~models.Q(idempotency_key=""),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class CallAssignment(models.Model):
    """A department of the centre assigned to a call: its report-in and finish clocks (like a summons)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="call_assignments")
    role = models.CharField(_("role"), max_length=12, choices=SummonsRole.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=SummonsState.choices, default=SummonsState.SUMMONED
    )
    assigned_at = models.DateTimeField(default=timezone.now, db_index=True)
    report_in_due = models.DateTimeField(_("report in by"))
    report_in_warn_at = models.DateTimeField()
    finish_due = models.DateTimeField(_("finish by"))
    finish_warn_at = models.DateTimeField()
    reported_in_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)
    result = models.TextField(blank=True)
    extension_days = models.PositiveIntegerField(_("extension (working days)"), default=0)

    class Meta:
        verbose_name = _("department assignment")
        verbose_name_plural = _("department assignments")
        ordering = ["call", "role", "id"]
        indexes = [
            models.Index(fields=["unit", "state"]),
            models.Index(fields=["state", "finish_due"]),
            models.Index(fields=["state", "report_in_due"]),
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ call #{self.call_id}"

    def is_overdue(self, now=None) -> bool:
        """Past a deadline it still owes: the moment the sweep marks it (due <= now, as for summonses)."""
        now = now or timezone.now()
        if self.state == SummonsState.SUMMONED and self.report_in_due <= now:
            return True
        return self.state in (SummonsState.SUMMONED, SummonsState.REPORTED_IN) and self.finish_due <= now


class CallClaim(models.Model):
    """One stage of the calls' sweep done for one assignment (the whistles' stages: report-in warning and
    overdue, finish warning and overdue). Unique on (assignment, stage): of two sweepers only one inserts
    it and acts; an action that moves the finish deadline (extension, rework, rejected dispute) deletes
    the finish claims so that the new deadline is supervised again."""

    assignment = models.ForeignKey(CallAssignment, on_delete=models.CASCADE, related_name="claims")
    stage = models.CharField(max_length=20, choices=ClaimStage.choices)
    claimed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("call supervision claim")
        verbose_name_plural = _("call supervision claims")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "stage"], name="one_claim_per_call_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage} call assignment #{self.assignment_id}"


class CallSupervisionOrder(models.Model):
    """督办 of a department on a call: a warning before a deadline, a supervision order when it passes
    (resolved when the department reports in / finishes, is withdrawn, or its deadline is extended)."""

    assignment = models.ForeignKey(
        CallAssignment, on_delete=models.CASCADE, related_name="supervision_orders"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SupervisionKind.choices)
    stage = models.CharField(_("stage"), max_length=12)  # "report_in" or "finish"
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("call supervision order")
        verbose_name_plural = _("call supervision orders")
        ordering = ["-issued_at", "-id"]
        # The boards' count: open supervision orders (warnings and resolved orders add nothing to it).
        indexes = [
            models.Index(
                fields=["issued_at"],
                name="call_order_open",
                condition=models.Q(kind="supervision", resolved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stage} call assignment #{self.assignment_id}"


class CallExtensionRequest(models.Model):
    """A department asks the centre for more working days to finish (one pending request at a time);
    granted, the finish deadline moves to `proposed_due` as computed when it is decided."""

    assignment = models.ForeignKey(
        CallAssignment, on_delete=models.CASCADE, related_name="extension_requests"
    )
    days = models.PositiveIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    proposed_due = models.DateTimeField(_("new finish date"))
    state = models.CharField(max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("call extension request")
        verbose_name_plural = _("call extension requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                name="one_pending_extension_per_call_assignment",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"+{self.days} call assignment #{self.assignment_id}"


class CallRating(models.Model):
    """The caller's rating of one department on a verified call (下评上): 1 (poor) to 5 (excellent)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="ratings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="call_ratings")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("department rating")
        verbose_name_plural = _("department ratings")
        constraints = [
            models.UniqueConstraint(fields=["call", "unit"], name="one_rating_per_call_unit"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="call_rating_1_to_5"),
        ]
