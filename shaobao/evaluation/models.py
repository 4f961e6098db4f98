"""Evaluation records: weights (versioned), the daily rollup, bottom-up ratings and published months.

The indicators themselves are defined once in `evaluation.facts` / `evaluation.indicators`; the tables here
only store counters (`DailyRollup`), the streets' scores of units (`UnitRating`, `MonthlySurvey`) and the
frozen result of a published month (`MonthlyRanking`) with the weight version it used.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.evaluation.facts import COARSE_COLUMNS
from shaobao.org.models import Division, Unit

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class WeightSet(models.Model):
    """One version of the composite weights. Never edited in place: the admin saves a change as a new version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Units: composite = bottom_up * bottom-up score + objective * objective score (DOMAIN.md: 1/3 in Beijing).
    unit_bottom_up = models.FloatField(_("unit: bottom-up share"), default=1 / 3)
    unit_objective = models.FloatField(_("unit: objective share"), default=2 / 3)
    # The objective score of a unit: weighted mean of these rates (renormalised over those with data).
    unit_response = models.FloatField(_("unit objective: response rate"), default=0.25)
    unit_on_time = models.FloatField(_("unit objective: on-time completion rate"), default=0.25)
    unit_resolution = models.FloatField(_("unit objective: resolution rate"), default=0.25)
    unit_satisfaction = models.FloatField(_("unit objective: satisfaction rate"), default=0.25)
    # Streets: the 三率 (Beijing 接诉即办).
    street_response = models.FloatField(_("street: response rate"), default=0.30)
    street_resolution = models.FloatField(_("street: resolution rate"), default=0.35)
    street_satisfaction = models.FloatField(_("street: satisfaction rate"), default=0.35)
    # How much each callback answer counts in the satisfaction rate.
    satisfied_weight = models.FloatField(_("weight of 'satisfied'"), default=1.0)
    basically_satisfied_weight = models.FloatField(_("weight of 'basically satisfied'"), default=0.8)
    # The bottom-up score: per-whistle ratings vs the monthly survey.
    rating_share = models.FloatField(_("bottom-up: per-whistle ratings share"), default=0.5)
    survey_share = models.FloatField(_("bottom-up: monthly survey share"), default=0.5)

    class Meta:
        verbose_name = _("weight set")
        verbose_name_plural = _("weight sets")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.note}".strip()


class Dim(models.TextChoices):
    UNIT = "unit", _("unit")
    STREET = "street", _("street/township")
    MATTER = "matter", _("matter")
    DISTRICT = "district", _("district")


class RollupCounters(models.Model):
    """One column per counter (see `facts.COUNTERS`), so that a period is one GROUP BY in the database."""

    dim = models.CharField(max_length=8, choices=Dim.choices)
    key = models.BigIntegerField()
    summoned = models.IntegerField(default=0)
    disputed = models.IntegerField(default=0)
    dispute_decided = models.IntegerField(default=0)
    dispute_upheld = models.IntegerField(default=0)
    active = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    report_due = models.IntegerField(default=0)
    report_ontime = models.IntegerField(default=0)
    report_n = models.IntegerField(default=0)
    report_secs = models.BigIntegerField(default=0)
    finish_due = models.IntegerField(default=0)
    finish_ontime = models.IntegerField(default=0)
    finish_n = models.IntegerField(default=0)
    finish_secs = models.BigIntegerField(default=0)
    closed_lead = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    callbacks = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basically_satisfied = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    report_hist = models.JSONField(default=dict)  # hours bucket -> count (see facts.hours_bucket)
    finish_hist = models.JSONField(default=dict)

    class Meta:
        abstract = True


# The coarse hours histograms of a daily row as integer columns rc00.. / fc00.. (facts.COARSE_BOUNDS), so
# that a date range sums them with one SUM each (the JSON histograms would have to be merged day by day).
CoarseHistograms = type(
    "CoarseHistograms",
    (models.Model,),
    {
        "__module__": __name__,
        "Meta": type("Meta", (), {"abstract": True}),
        **{name: models.IntegerField(default=0) for names in COARSE_COLUMNS.values() for name in names},
    },
)


class DailyRollup(RollupCounters, CoarseHistograms):
    """Counters of one day for one unit, street, matter or the whole district.

    Rebuilt by `rollup.rollup_days` (the `rollup_evaluation` command and the hourly task); any date range
    other than a calendar month is summed from these rows (with the coarse histograms for its p90s).
    """

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dim", "day", "key"], name="unique_rollup_cell")]
        indexes = [models.Index(fields=["dim", "key", "day"])]

    def __str__(self) -> str:
        return f"{self.dim}:{self.key} {self.day}"


class MonthlyRollup(RollupCounters):
    """The same counters summed per calendar month (rebuilt from `DailyRollup` by the same job), so that
    a month's rankings and indicator tables read one row per unit or street."""

    month = models.DateField()  # first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dim", "month", "key"], name="unique_monthly_rollup_cell")
        ]


class RollupRun(models.Model):
    """One pass of the rollup job: the days it rebuilt and the time its 'not yet due' cut-off used."""

    as_of = models.DateTimeField()
    first_day = models.DateField()
    last_day = models.DateField()
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-as_of", "-id"]


class UnitRating(models.Model):
    """下评上: the street's rating of one summoned unit after the whistle closed (one per whistle and unit)."""

    whistle = models.ForeignKey("whistles.Whistle", on_delete=models.CASCADE, related_name="unit_ratings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ratings")
    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    cooperation = models.PositiveSmallIntegerField(_("cooperation"), validators=SCORE_VALIDATORS)
    initiative = models.PositiveSmallIntegerField(_("initiative"), validators=SCORE_VALIDATORS)
    quality = models.PositiveSmallIntegerField(_("quality of work"), validators=SCORE_VALIDATORS)
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(_("rated"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("unit rating")
        verbose_name_plural = _("unit ratings")
        constraints = [
            models.UniqueConstraint(fields=["whistle", "unit"], name="one_rating_per_whistle_unit")
        ]
        indexes = [models.Index(fields=["unit", "rated_at"])]

    @property
    def score(self) -> float:
        """0-100: the mean of the three 1-5 items, scaled so that 1 -> 20 and 5 -> 100."""
        return (self.cooperation + self.initiative + self.quality) / 3 * 20


class MonthlySurvey(models.Model):
    """The street's monthly bottom-up survey of one unit."""

    month = models.DateField(_("month"))  # first day of the month
    street = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="surveys")
    cooperation = models.PositiveSmallIntegerField(_("cooperation"), validators=SCORE_VALIDATORS)
    initiative = models.PositiveSmallIntegerField(_("initiative"), validators=SCORE_VALIDATORS)
    quality = models.PositiveSmallIntegerField(_("quality of work"), validators=SCORE_VALIDATORS)
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly survey")
        verbose_name_plural = _("monthly surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "street", "unit"], name="one_survey_per_month_street_unit"
            )
        ]


class MonthlyRanking(models.Model):
    """A published month: the rankings exactly as published, and the weight version that produced them."""

    district = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    weight_set = models.ForeignKey(WeightSet, on_delete=models.PROTECT, related_name="rankings")
    data = models.JSONField(default=dict)  # {"units": [...], "streets": [...]} as computed
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("published monthly ranking")
        verbose_name_plural = _("published monthly rankings")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["district", "month"], name="one_ranking_per_month")]

    def __str__(self) -> str:
        return f"{self.district} {self.month:%Y-%m}"
