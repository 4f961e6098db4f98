"""Village work teams (驻村工作队): 4–5 cadres stationed in one village, with the village's plan.

A team is sent by the district to a village (a division of level community/village) of one of five kinds.
Its members are forces.Cadre rows, each with a forces.Deployment to the village (mode village_household, or
village_post for the resident force's posts). The team keeps the village's plan ("施工图", one village one
policy: measures with an owner and a deadline in working days) and its household visits; the district
reviews every team at least every two weeks (调度). The rules live in `actions` and `selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.forces.models import Cadre, Deployment
from shaobao.intake import people
from shaobao.org.models import Division, Role
from shaobao.org.scoping import scope_of

MEMBER_ROLE = Role.DEPLOYED_CADRE


class VillageKind(models.TextChoices):
    """Why a village gets a team; the codes are stable (API, exports)."""

    WEAK_AND_LAX = "weak_and_lax", _("weak and lax party organisation")  # 软弱涣散
    GOVERNANCE_DIFFICULTY = "governance_difficulty", _("governance difficulty")  # 治理难点
    ELECTION_DIFFICULTY = "election_difficulty", _("re-election difficulty")  # 换届难点
    LAGGING_DEVELOPMENT = "lagging_development", _("lagging development")  # 发展落后
    LOW_INCOME_CONCENTRATION = (
        "low_income_concentration",
        _("concentration of low-income households"),
    )  # 低收入户集中


class TeamForce(models.TextChoices):
    """The three forces a team is made of."""

    LEADERSHIP = "leadership", _("leadership")  # 领导力量
    RESIDENT = "resident", _("resident force")  # 驻村力量
    SPECIALIST = "specialist", _("specialist force")  # 专业力量


class MemberPost(models.TextChoices):
    TEAM_LEADER = "team_leader", _("team leader")  # 队长
    FIRST_SECRETARY = "first_secretary", _("first secretary")  # 第一书记
    SELECTED_GRADUATE = "selected_graduate", _("selected graduate")  # 选调生
    VILLAGE_OFFICIAL = "village_official", _("village official")  # 村官
    SPECIALIST = "specialist", _("specialist")  # 专业人员


# Which posts each force holds (checked by the actions).
POSTS_OF_FORCE = {
    TeamForce.LEADERSHIP: {MemberPost.TEAM_LEADER},
    TeamForce.RESIDENT: {
        MemberPost.FIRST_SECRETARY,
        MemberPost.SELECTED_GRADUATE,
        MemberPost.VILLAGE_OFFICIAL,
    },
    TeamForce.SPECIALIST: {MemberPost.SPECIALIST},
}


class MeasureState(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


# The measure's transition table; done and dropped are final.
MEASURE_STEPS = {
    MeasureState.PLANNED: {MeasureState.IN_PROGRESS, MeasureState.DONE, MeasureState.DROPPED},
    MeasureState.IN_PROGRESS: {MeasureState.DONE, MeasureState.DROPPED},
    MeasureState.DONE: set(),
    MeasureState.DROPPED: set(),
}
OPEN_MEASURE_STATES = (MeasureState.PLANNED, MeasureState.IN_PROGRESS)


class WorkTeamQuerySet(models.QuerySet):
    def active(self) -> WorkTeamQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, user) -> WorkTeamQuerySet:
        return self.filter(team_visibility_q(user))


class WorkTeam(models.Model):
    objects = WorkTeamQuerySet.as_manager()

    name = models.CharField(_("name"), max_length=100)
    village = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="work_teams", verbose_name=_("village")
    )
    # The village's street, kept with the team so that the street filter and scoping are one column.
    street = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="street_work_teams",
        verbose_name=_("street/township"),
    )
    kind = models.CharField(_("village kind"), max_length=32, choices=VillageKind.choices, db_index=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The last district review (调度), kept in step by do_record_review: "overdue" is one indexed comparison.
    last_reviewed_at = models.DateTimeField(_("last review"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("village work team")
        verbose_name_plural = _("village work teams")
        ordering = ["street__code", "village__code", "id"]
        indexes = [models.Index(fields=["is_active", "last_reviewed_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def reviewed_or_created_at(self):
        return self.last_reviewed_at or self.created_at


class WorkTeamMember(models.Model):
    team = models.ForeignKey(
        WorkTeam, on_delete=models.CASCADE, related_name="members", verbose_name=_("team")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="work_team_seats", verbose_name=_("cadre")
    )
    deployment = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_team_seats",
        verbose_name=_("deployment"),
    )
    force = models.CharField(_("force"), max_length=16, choices=TeamForce.choices)
    post = models.CharField(_("post"), max_length=24, choices=MemberPost.choices)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "force", "id"]
        constraints = [
            # A cadre sits on one active team at a time.
            models.UniqueConstraint(
                fields=["cadre"], condition=Q(left_on__isnull=True), name="one_active_work_team_per_cadre"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.get_post_display()}"

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class Measure(models.Model):
    """One measure of the village's plan (施工图): what, who (a member), by when (working days), state."""

    team = models.ForeignKey(
        WorkTeam, on_delete=models.CASCADE, related_name="measures", verbose_name=_("team")
    )
    title = models.CharField(_("measure"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    owner = models.ForeignKey(
        WorkTeamMember, on_delete=models.PROTECT, related_name="measures", verbose_name=_("owner")
    )
    working_days = models.PositiveSmallIntegerField(_("working days"))
    due_on = models.DateField(_("deadline"), db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=MeasureState.choices, default=MeasureState.PLANNED, db_index=True
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("plan measure")
        verbose_name_plural = _("plan measures")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_MEASURE_STATES


class HouseholdVisit(models.Model):
    """A member's visit to a household. Private: only the street, the district and the team see it."""

    team = models.ForeignKey(
        WorkTeam, on_delete=models.CASCADE, related_name="visits", verbose_name=_("team")
    )
    member = models.ForeignKey(
        WorkTeamMember, on_delete=models.PROTECT, related_name="visits", verbose_name=_("visiting member")
    )
    household = models.CharField(_("household"), max_length=60)
    address = models.CharField(_("address"), max_length=200, blank=True)
    visited_on = models.DateField(_("date of the visit"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["team", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class TeamReview(models.Model):
    """A district review of one team (调度): progress, problems, next measures."""

    team = models.ForeignKey(
        WorkTeam, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("team")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    progress = models.TextField(_("progress"))
    problems = models.TextField(_("problems"), blank=True)
    next_measures = models.TextField(_("next measures"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("team review")
        verbose_name_plural = _("team reviews")
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["team", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.team} {self.reviewed_at:%Y-%m-%d}"


# --- scoping (used by WorkTeam.objects.visible_to and by `access`) --------------------------------


def private_q(user, prefix: str = "") -> Q:
    """Teams whose private records (household visits) the user may see: the district's, the street's,
    the team's own. `prefix` is the path to the team ("team__") when filtering a related model."""
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    districts = people.district_prefixes(user)
    for p in sorted(districts):
        q |= Q(**{f"{prefix}village__code__startswith": p})
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if streets:
        q |= Q(**{f"{prefix}street_id__in": streets})
    if scope.has_role(MEMBER_ROLE):
        mine = WorkTeamMember.objects.filter(left_on__isnull=True, cadre__user_id=user.pk).values("team_id")
        q |= Q(**{f"{prefix}pk__in": mine})
    return q


def team_visibility_q(user) -> Q:
    """Teams the user may see: the private scope, and for unit staff the teams their cadres sit on."""
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    q = private_q(user)
    units = people.unit_ids(user)
    if units:
        q |= Q(
            Exists(
                WorkTeamMember.objects.filter(
                    team=OuterRef("pk"), left_on__isnull=True, cadre__unit_id__in=units
                )
            )
        )
    return q
