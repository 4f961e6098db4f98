"""Admin: weights are versioned — saving a weight set always creates the next version, so a published
month keeps pointing at the exact weights it was computed with."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max

from shaobao.evaluation.models import MonthlyRanking, MonthlySurvey, RollupRun, UnitRating, WeightSet


@admin.register(WeightSet)
class WeightSetAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "note",
        "unit_bottom_up",
        "unit_objective",
        "street_response",
        "street_resolution",
        "street_satisfaction",
        "satisfied_weight",
        "basically_satisfied_weight",
        "created_at",
    )
    readonly_fields = ("version", "created_at", "created_by")
    fieldsets = (
        (None, {"fields": ("version", "note", "created_at", "created_by")}),
        ("单位 / Units", {"fields": ("unit_bottom_up", "unit_objective")}),
        (
            "单位客观指标 / Unit objective score",
            {"fields": ("unit_response", "unit_on_time", "unit_resolution", "unit_satisfaction")},
        ),
        ("街乡三率 / Streets", {"fields": ("street_response", "street_resolution", "street_satisfaction")}),
        ("满意率 / Satisfaction", {"fields": ("satisfied_weight", "basically_satisfied_weight")}),
        ("下评上 / Bottom-up", {"fields": ("rating_share", "survey_share")}),
    )

    def save_model(self, request, obj, form, change):
        # Never overwrite a version: every save is a new one (the old stays for the months that used it).
        obj.pk = None
        obj.version = (WeightSet.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        obj.created_by = request.user
        super().save_model(request, obj, form, False)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.rankings.exists()


@admin.register(MonthlyRanking)
class MonthlyRankingAdmin(admin.ModelAdmin):
    list_display = ("district", "month", "weight_set", "published_at", "published_by")
    readonly_fields = ("district", "month", "weight_set", "data", "published_at", "published_by")


@admin.register(UnitRating)
class UnitRatingAdmin(admin.ModelAdmin):
    list_display = (
        "whistle",
        "unit",
        "street",
        "cooperation",
        "initiative",
        "quality",
        "rated_by",
        "rated_at",
    )
    list_filter = ("street",)
    raw_id_fields = ("whistle",)


@admin.register(MonthlySurvey)
class MonthlySurveyAdmin(admin.ModelAdmin):
    list_display = ("month", "street", "unit", "cooperation", "initiative", "quality", "rated_by")
    list_filter = ("month", "street")


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "first_day", "last_day", "rows", "seconds")
