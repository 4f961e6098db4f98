"""Demands (诉求) from every channel: what the resident asked, where, and where it stands.

The state field is changed only by the `do_*` actions in `intake.actions` / `whistles.actions`, which
check `intake.states.DEMAND_TRANSITIONS`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.core.choices import Urgency
from shaobao.duties.models import Matter
from shaobao.org.models import Division, Grid, Unit


class Channel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    GRID_PATROL = "grid_patrol", _("grid patrol")
    RESIDENT_WEB = "resident_web", _("resident web/app")
    COMMUNITY_COMMISSIONER = "community_commissioner", _("community commissioner")
    STATIONED_CADRE = "stationed_cadre", _("deployed cadre")
    PARTY_MEMBER = "party_member", _("party member")
    LEADER_INSTRUCTION = "leader_instruction", _("leader's instruction")
    MEDIA = "media", _("media")
    # Couriers, delivery riders, ride-hailing drivers registered as grid helpers (双报到, new employment groups).
    NEW_EMPLOYMENT = "new_employment", _("new employment group")


class DemandKind(models.TextChoices):
    CONSULTATION = "consultation", _("consultation")
    HELP = "help", _("help")
    COMPLAINT = "complaint", _("complaint")
    REPORT = "report", _("report")
    SUGGESTION = "suggestion", _("suggestion")


class DemandState(models.TextChoices):
    RECEIVED = "received", _("received, awaiting triage")
    SELF_HANDLING = "self_handling", _("handled by the street")
    HANDLED = "handled", _("handled, awaiting verification")
    WHISTLED = "whistled", _("whistled")
    MERGED = "merged", _("merged")
    CLOSED = "closed", _("closed, awaiting callback")
    CALLED_BACK = "called_back", _("called back")
    REOPENED = "reopened", _("reopened")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class PlacementSource(models.TextChoices):
    NONE = "", _("not placed")
    COORDINATES = "coordinates", _("coordinates in a grid")
    STREET_CODE = "street_code", _("street given by the channel")
    ADDRESS = "address", _("recognised in the address")
    TEXT = "text", _("recognised in the text")
    MANUAL = "manual", _("placed by a dispatcher")


class DemandQuerySet(models.QuerySet):
    def visible_to(self, user) -> DemandQuerySet:
        """Street staff: their street's demands; units: demands they are summoned or assigned to;
        district roles: the district's demands (and the unplaced ones); everyone: what they created."""
        from shaobao.intake import people

        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        q = models.Q(created_by=user)
        streets = people.street_ids(user, people.STREET_STAFF_ROLES)
        if streets:
            q |= models.Q(street_id__in=streets)
        units = people.unit_ids(user)
        if units:
            summoned = Demand.objects.filter(whistles__summonses__unit_id__in=units).values("pk")
            q |= models.Q(assigned_unit_id__in=units) | models.Q(pk__in=summoned)
        for prefix in people.district_prefixes(user):
            q |= models.Q(street__code__startswith=prefix) | models.Q(street__isnull=True)
        return self.filter(q)


class Demand(models.Model):
    objects = DemandQuerySet.as_manager()

    tracking_code = models.CharField(_("tracking code"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DemandKind.choices, default=DemandKind.COMPLAINT
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    reporter_name = models.CharField(_("reporter name"), max_length=60, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)

    street = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="street_demands",
        verbose_name=_("street/township"),
    )
    community = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_demands",
        verbose_name=_("community/village"),
    )
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="demands")
    placement_source = models.CharField(
        _("placement source"), max_length=12, choices=PlacementSource.choices, blank=True, default=""
    )
    # How sure the placement is (1 for coordinates, the channel's street or a person; less from words), and
    # when the words named several places equally, the candidates the coordinator picks from.
    placement_confidence = models.FloatField(_("placement confidence"), null=True, blank=True)
    placement_candidates = models.JSONField(_("placement candidates"), default=list, blank=True)
    matter = models.ForeignKey(
        Matter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
        verbose_name=_("matter"),
    )

    state = models.CharField(
        _("state"), max_length=16, choices=DemandState.choices, default=DemandState.RECEIVED
    )
    assigned_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_demands",
        verbose_name=_("assigned unit"),
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_demands"
    )
    rework_count = models.PositiveIntegerField(_("rework count"), default=0)

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    called_back_at = models.DateTimeField(null=True, blank=True)
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=24, choices=Satisfaction.choices, blank=True, default=""
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["street", "state", "received_at"]),
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["grid", "received_at"]),
            # A street's demands newest first, read in order and stopped after a page (the street staff's
            # list, intake.selectors.BranchedDemands).
            models.Index(fields=["street", "received_at", "id"], name="demand_street_newest"),
            # A caller's demands by phone number (`selectors.calls_from`: the intake desk and every demand
            # page's caller history); without it each page read the township's whole year of demands.
            models.Index(fields=["reporter_phone", "received_at"], name="demand_caller_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                name="unique_idempotency_key_per_creator",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.subject}"


class DemandPhoto(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="demands/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
