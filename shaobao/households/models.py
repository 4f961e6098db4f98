"""Grids as first-class places of work, and the households in them (issue 13, part 2).

- `MicroGrid`: a part of a grid (微网格), a few dozen households, often looked after by a part-time worker.
- `GridWorker`: a user with the grid_worker role attached to a grid (full-time or part-time), optionally to one
  of its micro-grids. Their patrol reports are intake's `grid_patrol` demands they created.
- `Household`: an address and the head of household's contact (personal data: masked, unmasking logged), the
  number of persons living there, its grid (and micro-grid) and street (denormalised for scoping).
- `HouseholdGroup`: a joint-defence group of about five households (五户联防) with a lead household; the lead's
  account (a resident's, optional) may confirm the group's households in an emergency.
- `BroadcastReach`: a platform emergency broadcast sent on down to grid workers and household groups.
- `HouseholdTap`: one confirmation of one household for one broadcast (warned, moved, missing), with the head
  count; unique per (broadcast, household, state), so that a tap replayed from a phone's queue never counts
  twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_PERSONS = 50


class MicroGrid(models.Model):
    grid = models.ForeignKey(
        "org.Grid", on_delete=models.CASCADE, related_name="micro_grids", verbose_name=_("grid")
    )
    code = models.CharField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("micro-grid")
        verbose_name_plural = _("micro-grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class WorkerKind(models.TextChoices):
    FULL_TIME = "full_time", _("full-time")
    PART_TIME = "part_time", _("part-time")


class GridWorker(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_posts", verbose_name=_("user")
    )
    grid = models.ForeignKey(
        "org.Grid", on_delete=models.PROTECT, related_name="workers", verbose_name=_("grid")
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workers",
        verbose_name=_("micro-grid"),
    )
    street = models.ForeignKey(
        "org.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=WorkerKind.choices, default=WorkerKind.FULL_TIME
    )
    since = models.DateField(_("since"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")
        ordering = ["grid__code", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="unique_grid_worker")]
        indexes = [models.Index(fields=["street", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.grid.name}"


class HouseholdGroup(models.Model):
    """五户联防: about five neighbouring households; the lead household's head alerts the others."""

    grid = models.ForeignKey(
        "org.Grid", on_delete=models.PROTECT, related_name="household_groups", verbose_name=_("grid")
    )
    street = models.ForeignKey(
        "org.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    name = models.CharField(_("name"), max_length=60)
    lead = models.ForeignKey(
        "Household",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead household"),
    )
    lead_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_household_groups",
        verbose_name=_("lead's account"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("joint-defence group")
        verbose_name_plural = _("joint-defence groups")
        ordering = ["grid__code", "name", "id"]
        indexes = [models.Index(fields=["street", "grid"])]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    grid = models.ForeignKey(
        "org.Grid", on_delete=models.PROTECT, related_name="households", verbose_name=_("grid")
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
        verbose_name=_("micro-grid"),
    )
    street = models.ForeignKey(
        "org.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("street/township")
    )
    group = models.ForeignKey(
        HouseholdGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
        verbose_name=_("joint-defence group"),
    )
    address = models.CharField(_("address"), max_length=200)
    head_name = models.CharField(_("head of household"), max_length=60)
    head_phone = models.CharField(_("phone"), max_length=20)
    persons = models.PositiveSmallIntegerField(_("persons"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["grid__code", "address", "id"]
        indexes = [models.Index(fields=["street", "grid"]), models.Index(fields=["grid", "group"])]

    def __str__(self) -> str:
        return self.address


class BroadcastReach(models.Model):
    """A broadcast carried on down to the grid workers and joint-defence groups of its streets."""

    broadcast = models.OneToOneField(
        "platform.Broadcast", on_delete=models.CASCADE, related_name="household_reach"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("sent down at"))

    class Meta:
        verbose_name = _("broadcast sent down to households")
        verbose_name_plural = _("broadcasts sent down to households")


class TapState(models.TextChoices):
    WARNED = "warned", _("warned")
    MOVED = "moved", _("moved")
    MISSING = "missing", _("missing")


class HouseholdTap(models.Model):
    broadcast = models.ForeignKey(
        "platform.Broadcast", on_delete=models.CASCADE, related_name="household_taps"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="taps")
    state = models.CharField(_("state"), max_length=8, choices=TapState.choices)
    persons = models.PositiveSmallIntegerField(_("persons"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tapped_at = models.DateTimeField(_("tapped at"))  # on the phone (queued taps arrive later)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("household confirmation")
        verbose_name_plural = _("household confirmations")
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "household", "state"], name="unique_household_tap"),
        ]
