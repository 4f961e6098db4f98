"""Admin of the village work teams: for looking things up and correcting data; the rules (team size,
forces, reviews) are applied by the pages and the API, which call `actions`."""

from __future__ import annotations

from django.contrib import admin

from shaobao.workteams.models import HouseholdVisit, Measure, TeamReview, WorkTeam, WorkTeamMember


class MemberInline(admin.TabularInline):
    model = WorkTeamMember
    extra = 0
    raw_id_fields = ("cadre", "deployment")


@admin.register(WorkTeam)
class WorkTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "village", "street", "kind", "starts_on", "is_active", "last_reviewed_at")
    list_filter = ("kind", "is_active", "street")
    search_fields = ("name", "village__name")
    raw_id_fields = ("village", "street", "created_by")
    inlines = [MemberInline]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "owner", "due_on", "state")
    list_filter = ("state",)
    search_fields = ("title", "team__name")
    raw_id_fields = ("team", "owner", "created_by")


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(admin.ModelAdmin):
    list_display = ("household", "team", "member", "visited_on")
    search_fields = ("household", "team__name")
    raw_id_fields = ("team", "member", "created_by")


@admin.register(TeamReview)
class TeamReviewAdmin(admin.ModelAdmin):
    list_display = ("team", "reviewed_at", "reviewer")
    search_fields = ("team__name",)
    raw_id_fields = ("team", "reviewer")
