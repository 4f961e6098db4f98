"""Admin for delegated powers (read the versions; writes go through the pages' actions), stationed staff
and the street's records."""

from __future__ import annotations

from django.contrib import admin

from shaobao.powers.models import (
    DelegatedPower,
    PowerMatter,
    PowerVersion,
    Recommendation,
    StationedStaff,
    StreetNote,
)


class PowerMatterInline(admin.TabularInline):
    model = PowerMatter
    extra = 0


class PowerVersionInline(admin.TabularInline):
    model = PowerVersion
    extra = 0
    can_delete = False
    readonly_fields = ("version", "change", "at", "actor", "note", "snapshot")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DelegatedPower)
class DelegatedPowerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "department", "effective_date", "status", "version")
    list_filter = ("category", "status", "department")
    search_fields = ("code", "name", "legal_basis")
    filter_horizontal = ("streets",)
    inlines = [PowerMatterInline, PowerVersionInline]
    # Versions and withdrawal are kept by the actions (the pages and the API): here they are read-only.
    readonly_fields = ("status", "withdrawn_on", "withdrawal_reason", "version", "created_at", "updated_at")


@admin.register(StationedStaff)
class StationedStaffAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "street", "department", "since", "is_active")
    list_filter = ("is_active", "department")
    search_fields = ("name", "position")


@admin.register(StreetNote)
class StreetNoteAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "street", "unit", "state", "created_at")
    list_filter = ("kind", "state")
    readonly_fields = [f.name for f in StreetNote._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "staff", "street", "department", "state", "filed_at")
    list_filter = ("kind", "state")
    readonly_fields = [f.name for f in Recommendation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
