"""Admin of 双报到 (the administrator's corrections; people use the pages)."""

from django.contrib import admin

from shaobao.checkin.models import (
    MemberCheckin,
    Need,
    OrganisationCheckin,
    PostShift,
    ServicePost,
    ServiceRecord,
)


@admin.register(OrganisationCheckin)
class OrganisationCheckinAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "unit", "checked_in_on", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "community__name", "unit__code")
    raw_id_fields = ("community", "street", "unit", "created_by")


@admin.register(MemberCheckin)
class MemberCheckinAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "community", "organisation", "checked_in_on", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("community__name",)
    raw_id_fields = ("community", "street", "organisation", "user", "created_by")
    show_full_result_count = False


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "community", "state", "places", "published_at")
    list_filter = ("kind", "state")
    raw_id_fields = ("community", "street", "demand", "published_by")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "member", "what", "hours", "served_on", "state", "confirm_method")
    list_filter = ("state", "confirm_method")
    raw_id_fields = ("member", "organisation", "community", "street", "need", "confirmed_by", "recorded_by")
    show_full_result_count = False


class PostShiftInline(admin.TabularInline):
    model = PostShift
    raw_id_fields = ("member",)
    extra = 0


@admin.register(ServicePost)
class ServicePostAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "is_active")
    raw_id_fields = ("community", "street")
    inlines = [PostShiftInline]
