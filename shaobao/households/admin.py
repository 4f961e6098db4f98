"""Admin of grids and households: the heads of household's contacts are not listed (personal data)."""

from django.contrib import admin

from shaobao.households.models import BroadcastReach, GridWorker, Household, HouseholdGroup, MicroGrid


@admin.register(MicroGrid)
class MicroGridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "grid")
    search_fields = ("code", "name")
    raw_id_fields = ("grid",)


@admin.register(GridWorker)
class GridWorkerAdmin(admin.ModelAdmin):
    list_display = ("user", "grid", "kind", "street", "since", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("user__username", "grid__code")
    raw_id_fields = ("user", "grid", "micro_grid", "street")


@admin.register(HouseholdGroup)
class HouseholdGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "grid", "street")
    search_fields = ("name", "grid__code")
    raw_id_fields = ("grid", "street", "lead", "lead_user")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("address", "grid", "group", "persons", "is_active")
    search_fields = ("address", "grid__code")
    raw_id_fields = ("grid", "micro_grid", "street", "group")


@admin.register(BroadcastReach)
class BroadcastReachAdmin(admin.ModelAdmin):
    list_display = ("broadcast", "created_by", "created_at")
    raw_id_fields = ("broadcast", "created_by")
