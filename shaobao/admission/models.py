"""Task admission (村（社区）事务准入): what may be put on villages and communities, and the way to add to it.

- `CatalogueEntry`: the district's catalogue (事务目录) — duties by law (履职事项), duties communities assist
  with (协助事项), certificates they may issue (保留证明事项), certificates no longer issued (不再出具的证明),
  signboards (机制牌子; at most `OUTSIDE_SIGNBOARD_LIMIT` on the outside of one community), ledgers and
  meetings; each with its basis, the department concerned, a period, the communities it applies to (none: all
  of the district) and how it entered (seeded, or by an approved request).
- `AdmissionRequest` (准入申请): a department asks to push a new task, ledger, certificate, meeting or
  signboard onto communities; the district approves (the item enters the catalogue) or refuses with a reason.
- `NotAdmittedMark` (未准入标记): a community marks a task it received as not admitted, quoting the catalogue
  (or its absence); the department concerned sees it and may acknowledge it.

Kind, state and ground codes are stable (API, exports).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shaobao.org.models import Division, Unit

# Yunnan's guiding catalogue: no more than 6 signboards on the outside of a village/community.
OUTSIDE_SIGNBOARD_LIMIT = 6


class EntryKind(models.TextChoices):
    DUTY = "duty", _("duty by law")  # 依法履职事项
    ASSISTING_DUTY = "assisting_duty", _("duty assisted with")  # 协助事项
    CERTIFICATE = "certificate", _("certificate issued")  # 保留证明事项
    CERTIFICATE_ABOLISHED = "certificate_abolished", _("certificate no longer issued")  # 不再出具
    SIGNBOARD = "signboard", _("signboard")  # 机制牌子
    LEDGER = "ledger", _("ledger")  # 台账
    MEETING = "meeting", _("meeting")  # 会议


class RequestKind(models.TextChoices):
    """What a department may ask to push onto communities."""

    TASK = "task", _("task")
    LEDGER = "ledger", _("ledger")
    CERTIFICATE = "certificate", _("certificate")
    MEETING = "meeting", _("meeting")
    SIGNBOARD = "signboard", _("signboard")


# The catalogue kind an approved request enters as: a new task is a duty the communities assist with.
ENTRY_KIND_OF_REQUEST = {
    RequestKind.TASK: EntryKind.ASSISTING_DUTY,
    RequestKind.LEDGER: EntryKind.LEDGER,
    RequestKind.CERTIFICATE: EntryKind.CERTIFICATE,
    RequestKind.MEETING: EntryKind.MEETING,
    RequestKind.SIGNBOARD: EntryKind.SIGNBOARD,
}


class EntryOrigin(models.TextChoices):
    SEEDED = "seeded", _("seeded")
    REQUEST = "request", _("approved request")


class RequestState(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class MarkGround(models.TextChoices):
    """Why a community says a task was not admitted."""

    ABSENT = "absent", _("not in the catalogue")
    ABOLISHED = "abolished", _("listed as a certificate no longer issued")
    EXPIRED = "expired", _("its period in the catalogue has ended")
    OTHER_COMMUNITIES = "other_communities", _("in the catalogue for other communities only")


def in_force_q(on: dt.date, prefix: str = "") -> Q:
    """Rows whose period (valid_from … valid_until, both included; no end: open) covers `on`."""
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": on})
    )


class CatalogueEntry(models.Model):
    district = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="catalogue_entries", verbose_name=_("district")
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices, db_index=True)
    outside = models.BooleanField(
        _("on the outside"),
        default=False,
        help_text=_("Signboards only: hung on the outside of the building."),
    )
    basis = models.TextField(_("basis"), max_length=1000)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="catalogue_entries",
        verbose_name=_("department concerned"),
    )
    communities = models.ManyToManyField(
        Division,
        blank=True,
        related_name="community_catalogue_entries",
        verbose_name=_("communities concerned"),
        help_text=_("None chosen: every community of the district."),
    )
    valid_from = models.DateField(_("in force from"))
    valid_until = models.DateField(_("in force until"), null=True, blank=True)
    origin = models.CharField(_("entered as"), max_length=12, choices=EntryOrigin.choices, default="seeded")
    request = models.OneToOneField(
        "AdmissionRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entry",
        verbose_name=_("admission request"),
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue")
        ordering = ["district", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="unique_catalogue_code"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="catalogue_period_order",
            ),
        ]
        indexes = [models.Index(fields=["district", "kind", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or self.valid_until >= on)


class AdmissionRequest(models.Model):
    district = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="admission_requests", verbose_name=_("district")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="admission_requests", verbose_name=_("department")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    name = models.CharField(_("what"), max_length=200)
    outside = models.BooleanField(_("on the outside"), default=False)
    basis = models.TextField(_("basis"), max_length=1000)
    reason = models.TextField(_("reason"), max_length=2000)
    all_communities = models.BooleanField(_("all communities"), default=True)
    communities = models.ManyToManyField(
        Division, blank=True, related_name="admission_requests_for", verbose_name=_("communities concerned")
    )
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=RequestState.choices, default="pending", db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed"), db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reason for the decision"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("admission request")
        verbose_name_plural = _("admission requests")
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["district", "state", "filed_at"])]

    def __str__(self) -> str:
        return self.name


class NotAdmittedMark(models.Model):
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="not_admitted_marks", verbose_name=_("community")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="not_admitted_marks", verbose_name=_("department")
    )
    task = models.CharField(_("task received"), max_length=200)
    received_on = models.DateField(_("received on"))
    ground = models.CharField(_("ground"), max_length=20, choices=MarkGround.choices)
    entry = models.ForeignKey(
        CatalogueEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="marks",
        verbose_name=_("catalogue entry quoted"),
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("marked by")
    )
    marked_at = models.DateTimeField(_("marked"), db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    answer = models.TextField(_("department's answer"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("not-admitted mark")
        verbose_name_plural = _("not-admitted marks")
        ordering = ["-marked_at", "-id"]
        indexes = [models.Index(fields=["unit", "marked_at"])]

    def __str__(self) -> str:
        return self.task
