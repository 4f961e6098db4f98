"""Routing models: versioned matter classifiers and the record of what dispatchers did with proposals.

A `RouterModel` row holds one trained classifier (pickled, in the row itself so that the version and its
bytes commit together) with the figures measured when it was trained; exactly one row is active at a
time. A `ProposalRecord` keeps what was proposed for a demand and what the dispatcher chose: it is both the
acceptance statistic shown in the admin and training data for the next version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RouterModel(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(_("method"), max_length=200)
    source = models.CharField(_("training source"), max_length=300, blank=True)
    labels = models.JSONField(_("labels"), default=list)
    figures = models.JSONField(_("training figures"), default=dict, blank=True)
    samples = models.PositiveIntegerField(_("training samples"), default=0)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    blob = models.BinaryField(_("pickled model"), editable=False)
    is_active = models.BooleanField(_("in use"), default=False)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("router model")
        verbose_name_plural = _("router models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_router_model"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.method}"


class ProposalRecord(models.Model):
    """What routing proposed for a demand and what the dispatcher finally chose."""

    demand = models.ForeignKey(
        "intake.Demand", on_delete=models.CASCADE, related_name="routing_proposals", verbose_name=_("demand")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.ForeignKey(
        RouterModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    method = models.CharField(_("method"), max_length=200, blank=True)
    proposed_matter = models.ForeignKey(
        "duties.Matter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed matter"),
    )
    proposed_probability = models.FloatField(_("probability"), null=True, blank=True)
    proposed_rank_of_chosen = models.PositiveSmallIntegerField(
        _("rank of the chosen matter"), null=True, blank=True
    )
    proposed_units = models.JSONField(_("proposed units"), default=list, blank=True)
    chosen_matter = models.ForeignKey(
        "duties.Matter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chosen matter"),
    )
    chosen_units = models.JSONField(_("chosen units"), default=list, blank=True)
    matter_accepted = models.BooleanField(_("matter accepted"), default=False)
    units_accepted = models.BooleanField(_("units accepted"), default=False)
    text = models.TextField(_("text used"), blank=True)

    class Meta:
        verbose_name = _("proposal record")
        verbose_name_plural = _("proposal records")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["chosen_matter", "created_at"])]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.proposed_matter_id} → {self.chosen_matter_id}"


class DemandFingerprint(models.Model):
    """The character bigrams duplicate detection compares, stored once per demand.

    Written in the transaction that receives the demand (and again when its place, time or text is
    saved), together with its `DemandBand` rows, so a lookup reads only the few candidates the bands
    select: `bigrams` is the sorted, distinct int64 keys of the bigrams (`duplicates.fingerprint`), from
    which the exact Jaccard is computed. `street_id` and `received_at` say under which street and time
    the demand's bands are filed (what to delete when they change).
    """

    demand = models.OneToOneField(
        "intake.Demand",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="routing_fingerprint",
        verbose_name=_("demand"),
    )
    bigrams = models.BinaryField(_("bigram keys"))
    size = models.PositiveIntegerField(_("distinct bigrams"), default=0)
    street_id = models.IntegerField(_("street filed under"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("demand fingerprint")
        verbose_name_plural = _("demand fingerprints")


class DemandBand(models.Model):
    """One LSH band of a demand's MinHash signature, filed under its street and time.

    The primary key is the lookup index itself, (street, band key, received, demand): a lookup probes it
    once per band of the new demand's signature and reads only index entries of the same street and the
    window (an index-only scan), so its cost does not grow with the number of demands. No foreign keys
    (plain integers): the lookup joins the demand anyway, and the writes stay one index per row. Rows of a
    deleted demand are removed with it (`duplicates.forget_demand`); any left would match no demand.
    """

    pk = models.CompositePrimaryKey("street_id", "key", "received_at", "demand_id")
    street_id = models.IntegerField(_("street"))
    key = models.IntegerField(_("band key"))  # 32-bit hash of (band number, its 2 MinHash values)
    received_at = models.DateTimeField(_("received"))
    demand_id = models.BigIntegerField(_("demand"))

    class Meta:
        verbose_name = _("demand band")
        verbose_name_plural = _("demand bands")
