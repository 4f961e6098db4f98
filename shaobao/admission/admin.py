"""Django admin for task admission. Catalogue entries can be edited here (the signboard limit and the period
are checked as in `actions`); requests and marks are read-only, because deciding and acknowledging go through
the actions (audit trail, catalogue entry, notifications)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shaobao.admission.actions import outside_signboards
from shaobao.admission.models import (
    OUTSIDE_SIGNBOARD_LIMIT,
    AdmissionRequest,
    CatalogueEntry,
    EntryKind,
    NotAdmittedMark,
)


class CatalogueEntryForm(forms.ModelForm):
    class Meta:
        model = CatalogueEntry
        fields = [
            "district",
            "code",
            "name",
            "kind",
            "outside",
            "basis",
            "unit",
            "communities",
            "valid_from",
            "valid_until",
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The period ends before it starts."))
        if data.get("outside") and data.get("kind") != EntryKind.SIGNBOARD:
            self.add_error("outside", _("Only signboards hang on the outside."))
        elif data.get("outside") and data.get("district") and start and not self.errors:
            communities = list(data.get("communities") or [])
            taken = outside_signboards(data["district"], communities, start, end, exclude=self.instance.pk)
            if taken >= OUTSIDE_SIGNBOARD_LIMIT:
                self.add_error(
                    "outside",
                    _(
                        "A community may carry at most %(n)d signboards on the outside; this would be one more."
                    )
                    % {"n": OUTSIDE_SIGNBOARD_LIMIT},
                )
        return data


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(admin.ModelAdmin):
    form = CatalogueEntryForm
    list_display = ["code", "name", "kind", "outside", "unit", "valid_from", "valid_until", "origin"]
    list_filter = ["kind", "origin", "outside"]
    search_fields = ["code", "name", "basis"]
    list_select_related = ["unit"]
    autocomplete_fields = ["district", "unit", "communities"]
    readonly_fields = ["origin", "request"]
    list_per_page = 100


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "kind", "unit", "state", "filed_at", "decided_at"]
    list_filter = ["state", "kind"]
    search_fields = ["name", "reason", "decision_note"]
    list_select_related = ["unit"]


@admin.register(NotAdmittedMark)
class NotAdmittedMarkAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "community", "unit", "ground", "marked_at", "acknowledged_at"]
    list_filter = ["ground"]
    search_fields = ["task", "note"]
    list_select_related = ["community", "unit"]
