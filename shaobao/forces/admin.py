"""Admin of forces sent down: cadres and the reserve pool, deployments (created and ended through the
actions, so the rules and the audit trail hold), quotas, village posts, tasks and assessment rounds."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from shaobao.core.errors import DomainError
from shaobao.forces import actions
from shaobao.forces.models import (
    AssessmentRound,
    Assessor,
    Cadre,
    CadreScore,
    CadreTask,
    Deployment,
    PresenceLog,
    Quota,
    VillagePost,
)
from shaobao.org.scoping import scope_of


def _scoped(request, qs, field: str):
    if request.user.is_superuser:
        return qs
    return qs.filter(scope_of(request.user).code_q(field, district_wide=True))


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "title", "skills", "in_reserve", "is_active")
    list_filter = ("in_reserve", "is_active")
    search_fields = ("name", "skills", "title", "unit__name")
    raw_id_fields = ("user", "unit", "district")

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request).select_related("unit"), "district__code")


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("cadre", "mode", "host", "unit", "post", "starts_on", "ends_on")
    list_filter = ("mode",)
    search_fields = ("cadre__name", "post", "host__name", "host_enterprise")
    date_hierarchy = "starts_on"
    raw_id_fields = ("cadre", "host", "unit", "village_post", "created_by")
    actions = ["end_today"]

    def get_queryset(self, request):
        return _scoped(
            request, super().get_queryset(request).select_related("cadre", "host", "unit"), "host__code"
        )

    readonly_fields = ("cadre", "unit", "host", "mode", "village_post", "starts_on", "ends_on", "created_by")

    def has_add_permission(self, request):
        """New deployments are made on the page (forces:new_deployment), through the action: one host at
        a time, vacant posts, the cadre's role."""
        return False

    @admin.action(description=_("End the selected deployments today"))
    def end_today(self, request, queryset):
        ended = 0
        for deployment in queryset.filter(ends_on__isnull=True):
            try:
                actions.do_end_deployment(actor=request.user, deployment_id=deployment.pk)
                ended += 1
            except DomainError as exc:
                messages.error(request, f"{deployment}: {exc.message}")
        messages.success(request, _("%(n)d deployments ended.") % {"n": ended})


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("unit", "staff", "share", "starts_on", "ends_on")
    raw_id_fields = ("unit", "created_by")

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request).select_related("unit"), "unit__division__code")


@admin.register(VillagePost)
class VillagePostAdmin(admin.ModelAdmin):
    list_display = ("title", "village", "is_active")
    search_fields = ("title", "village__name")
    raw_id_fields = ("village",)

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request).select_related("village"), "village__code")


@admin.register(PresenceLog)
class PresenceLogAdmin(admin.ModelAdmin):
    list_display = ("cadre", "day", "deployment")
    date_hierarchy = "day"
    raw_id_fields = ("cadre", "deployment")

    def get_queryset(self, request):
        return _scoped(
            request, super().get_queryset(request).select_related("cadre"), "deployment__host__code"
        )


@admin.register(CadreTask)
class CadreTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "state", "deployment", "assigned_at")
    list_filter = ("kind", "state")
    raw_id_fields = ("deployment", "demand", "whistle", "assigned_by")

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request), "deployment__host__code")


class AssessorInline(admin.TabularInline):
    model = Assessor
    extra = 0


class CadreScoreInline(admin.TabularInline):
    model = CadreScore
    extra = 0
    raw_id_fields = ("deployment", "unit")


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(admin.ModelAdmin):
    """Read-only: a round is created whole on its page or through the API (one-third rule checked there)."""

    list_display = ("title", "host", "starts_on", "ends_on")
    inlines = [AssessorInline, CadreScoreInline]

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request).select_related("host"), "host__code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
