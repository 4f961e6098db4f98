"""Admin of the key-task lists, the monthly topics and the accountability referrals: for looking things up and
correcting data; the rules (deadlines, supervision, one topic per place and month, the referral's decision)
are applied by the pages and the API, which call `actions`."""

from __future__ import annotations

from django.contrib import admin

from shaobao.keytasks.models import (
    Area,
    DemandMonthCount,
    KeyTask,
    KeyTaskOrder,
    Milestone,
    ProgressReport,
    Referral,
    RolledMonth,
    Topic,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "year", "district")
    list_filter = ("year",)
    search_fields = ("name",)
    raw_id_fields = ("district",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(KeyTask)
class KeyTaskAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "area", "lead_unit", "deadline", "state", "progress")
    list_filter = ("state", "area__year")
    search_fields = ("number", "title", "lead_unit__name")
    raw_id_fields = ("district", "area", "lead_unit", "created_by")
    filter_horizontal = ("participating_units",)
    inlines = [MilestoneInline]


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ("key_task", "unit", "author", "percent", "at")
    search_fields = ("key_task__title", "note")
    raw_id_fields = ("key_task", "unit", "author", "milestone")


@admin.register(KeyTaskOrder)
class KeyTaskOrderAdmin(admin.ModelAdmin):
    list_display = ("key_task", "kind", "issued_at", "resolved_at", "escalated_at")
    list_filter = ("kind",)
    raw_id_fields = ("key_task",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("month", "matter", "level", "street", "community", "key_task", "chosen_by", "chosen_at")
    list_filter = ("month", "level")
    search_fields = ("matter__name", "street__name", "community__name")
    raw_id_fields = ("district", "matter", "street", "community", "grid", "key_task", "chosen_by")
    readonly_fields = ("place_key",)


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "unit", "state", "decision", "referred_at", "decided_at")
    list_filter = ("kind", "state", "decision")
    search_fields = ("reason", "unit__name")
    raw_id_fields = (
        "district",
        "unit",
        "supervision_order",
        "key_task",
        "whistle",
        "referred_by",
        "decided_by",
    )


@admin.register(DemandMonthCount)
class DemandMonthCountAdmin(admin.ModelAdmin):
    list_display = ("month", "matter_id", "street_id", "community_id", "grid_id", "n")
    list_filter = ("month",)


@admin.register(RolledMonth)
class RolledMonthAdmin(admin.ModelAdmin):
    list_display = ("month", "rolled_at")
