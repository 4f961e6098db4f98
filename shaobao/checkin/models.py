"""双报到: party organisations check in to the community where they are, members to the community where they
live; both state what they offer. Communities publish needs (service tasks, residents' small wishes, demands the
street handles itself); members take them; every service is recorded and confirmed, which gives the
person-times per member, organisation and community. Service posts (服务站) list who serves there when.

New-employment groups (couriers, delivery riders, ride-hailing drivers) check in as members of their own kinds
and report what they see as grid helpers (intake's channel `new_employment`, see `grid_helpers`).

Writes go through `checkin.actions`; reads through `checkin.selectors` (scoped by `visible_to`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.org.models import Division, Unit


class MemberKind(models.TextChoices):
    """Stable codes (API, exports)."""

    PARTY_MEMBER = "party_member", _("party member")  # 在职党员
    COURIER = "courier", _("courier")  # 快递员
    DELIVERY_RIDER = "delivery_rider", _("delivery rider")  # 外卖骑手
    RIDE_HAILING_DRIVER = "ride_hailing_driver", _("ride-hailing driver")  # 网约车司机


NEW_EMPLOYMENT_KINDS = frozenset(
    {MemberKind.COURIER, MemberKind.DELIVERY_RIDER, MemberKind.RIDE_HAILING_DRIVER}
)


class NeedKind(models.TextChoices):
    SERVICE_TASK = "service_task", _("service task")  # 服务任务
    SMALL_WISH = "small_wish", _("small wish")  # 微心愿
    SELF_HANDLED_DEMAND = "self_handled_demand", _("demand handled by the street")  # 街乡自办诉求


class NeedState(models.TextChoices):
    OPEN = "open", _("open")
    TAKEN = "taken", _("taken")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


class RecordState(models.TextChoices):
    RECORDED = "recorded", _("awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("not confirmed")


class ConfirmMethod(models.TextChoices):
    NONE = "", _("not confirmed")
    STAFF = "staff", _("by the community")
    CODE = "code", _("by the resident's code")


class OrganisationCheckin(models.Model):
    """A party organisation checked in to a community: a unit of the district, or a named organisation
    (a school, a company's party branch) that is no unit of ours."""

    community = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="organisation_checkins",
        verbose_name=_("community/village"),
    )
    # The community's street, kept with it so that a street's lists are one indexed filter.
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkins",
        verbose_name=_("unit"),
    )
    name = models.CharField(_("organisation"), max_length=100)
    skills = models.CharField(_("skills offered"), max_length=300, blank=True)
    resources = models.CharField(_("resources offered"), max_length=300, blank=True)
    contact = models.CharField(_("contact person"), max_length=60, blank=True)
    checked_in_on = models.DateField(_("checked in on"), default=timezone.localdate, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("checked-in organisation")
        verbose_name_plural = _("checked-in organisations")
        ordering = ["community__code", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community"],
                condition=Q(unit__isnull=False),
                name="checkin_unit_once_per_community",
            ),
            models.UniqueConstraint(fields=["name", "community"], name="checkin_org_name_once_per_community"),
        ]
        indexes = [models.Index(fields=["street", "community"])]

    def __str__(self) -> str:
        return self.name


class MemberCheckin(models.Model):
    """A person checked in to the community where they live: a party member of an organisation, or one of
    the new-employment groups. Name and phone are personal data (see `checkin.privacy`)."""

    community = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="member_checkins",
        verbose_name=_("community/village"),
    )
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    kind = models.CharField(
        _("kind"), max_length=24, choices=MemberKind.choices, default=MemberKind.PARTY_MEMBER
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    # The phone's digits reversed: a search by the last digits is a prefix search on this column, served by
    # an index (see `checkin.search`; on PostgreSQL a varchar_pattern_ops index, migration 0002).
    phone_tail = models.CharField(max_length=20, blank=True, default="", editable=False)
    organisation = models.ForeignKey(
        OrganisationCheckin,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    # Where the organisation is no checked-in one (a delivery platform, a company): its name.
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkins",
        verbose_name=_("account"),
    )
    skills = models.CharField(_("skills offered"), max_length=300, blank=True)
    resources = models.CharField(_("resources offered"), max_length=300, blank=True)
    checked_in_on = models.DateField(_("checked in on"), default=timezone.localdate, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("checked-in member")
        verbose_name_plural = _("checked-in members")
        ordering = ["-checked_in_on", "-id"]
        constraints = [
            # The rule "a member checks in once per community": the action says so first; this is the race.
            models.UniqueConstraint(fields=["phone", "community"], name="checkin_member_once_per_community"),
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(user__isnull=False),
                name="checkin_account_once_per_community",
            ),
        ]
        indexes = [
            models.Index(fields=["street", "community", "-checked_in_on", "-id"]),
            models.Index(fields=["community", "-checked_in_on", "-id"]),
            models.Index(fields=["-checked_in_on", "-id"]),
            models.Index(fields=["organisation", "-checked_in_on"]),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def tail_of(phone: str) -> str:
        """The search key of a phone: its digits, reversed (`phone_tail`)."""
        return "".join(ch for ch in (phone or "") if ch.isdigit())[::-1]

    def save(self, *args, **kwargs):
        self.phone_tail = self.tail_of(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_tail"}
        super().save(*args, **kwargs)

    @property
    def is_new_employment(self) -> bool:
        return self.kind in NEW_EMPLOYMENT_KINDS


class Need(models.Model):
    """A need or service task a community publishes; members take it (up to `places` of them)."""

    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="checkin_needs", verbose_name=_("community/village")
    )
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NeedKind.choices, default=NeedKind.SERVICE_TASK)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    skills = models.CharField(_("skills wanted"), max_length=200, blank=True)
    places = models.PositiveSmallIntegerField(_("members wanted"), default=1)
    due_on = models.DateField(_("wanted by"), null=True, blank=True)
    demand = models.ForeignKey(
        "intake.Demand",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkin_needs",
        verbose_name=_("demand"),
    )
    state = models.CharField(_("state"), max_length=12, choices=NeedState.choices, default=NeedState.OPEN)
    # Given by the community to the resident served; the member enters it to confirm a service at once.
    confirmation_code = models.CharField(_("confirmation code"), max_length=8)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["community", "state", "-published_at"])]

    def __str__(self) -> str:
        return self.title


class NeedTaking(models.Model):
    """A member took a need."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="takings")
    member = models.ForeignKey(MemberCheckin, on_delete=models.PROTECT, related_name="takings")
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["need", "member"], name="checkin_take_once")]


class ServiceRecord(models.Model):
    """One service: who served, what, how long, when; counted once confirmed (one person-time)."""

    member = models.ForeignKey(
        MemberCheckin, on_delete=models.PROTECT, related_name="services", verbose_name=_("member")
    )
    # Copied from the member when recorded, so that the reports group without joins.
    organisation = models.ForeignKey(
        OrganisationCheckin,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        verbose_name=_("organisation"),
    )
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("community/village")
    )
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    need = models.ForeignKey(
        Need, null=True, blank=True, on_delete=models.PROTECT, related_name="services", verbose_name=_("need")
    )
    what = models.CharField(_("service"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    served_on = models.DateField(_("served on"), db_index=True)
    state = models.CharField(
        _("state"), max_length=12, choices=RecordState.choices, default=RecordState.RECORDED
    )
    confirm_method = models.CharField(
        _("confirmed"), max_length=8, choices=ConfirmMethod.choices, blank=True, default=""
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-served_on", "-id"]
        indexes = [
            models.Index(fields=["member", "state", "served_on"]),
            models.Index(fields=["community", "state", "served_on"]),
            models.Index(fields=["organisation", "state", "served_on"]),
            models.Index(fields=["street", "state", "served_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="checkin_service_hours_in_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.what}"


class ServicePost(models.Model):
    """A service post (服务站) of a community, with its weekly schedule of members (`PostShift`)."""

    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="service_posts", verbose_name=_("community/village")
    )
    street = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    services = models.CharField(_("services offered"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service post")
        verbose_name_plural = _("service posts")
        ordering = ["community__code", "name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class PostShift(models.Model):
    """A member serves at a post every week on a day, from a time to a time."""

    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="shifts")
    member = models.ForeignKey(MemberCheckin, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member", "weekday", "starts_at"], name="checkin_shift_once"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="checkin_shift_ends_after"
            ),
        ]


class ServiceDayCount(models.Model):
    """The daily roll-up of confirmed services per community and organisation (person-times and hours), kept
    by `checkin.rollup` in the same transaction as the service that counts, so that the reports over any
    period read a few thousand rows instead of every service record. `rollup.rebuild` recomputes it."""

    day = models.DateField()
    street = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        OrganisationCheckin, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person_times = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=12, decimal_places=1, default=0)

    class Meta:
        # Rows are added or incremented, never needed unique: two rows of one cell (written at the same moment)
        # still sum right.
        indexes = [
            models.Index(fields=["day", "community"]),
            models.Index(fields=["street", "day"]),
            models.Index(fields=["organisation", "day"]),
        ]


class MemberMonthCount(models.Model):
    """The monthly roll-up of confirmed services per member (person-times and hours): the reports' ranking of
    members and the count of members who served in a month, without grouping every service record."""

    month = models.DateField()  # the first day of the month
    member = models.ForeignKey(MemberCheckin, on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        OrganisationCheckin, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person_times = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=10, decimal_places=1, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "member", "community"], name="checkin_member_month_once")
        ]
        indexes = [
            models.Index(fields=["month", "-person_times", "-hours"]),
            models.Index(fields=["street", "month", "-person_times"]),
            models.Index(fields=["community", "month", "-person_times"]),
        ]
