"""Admin for API tokens: see who has which token, revoke (tokens are issued by `manage.py api_token`)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shaobao.api.actions import do_revoke_token
from shaobao.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            do_revoke_token(token_id=token.pk, actor=request.user)


# --- Open311 (docs/open311.md) ---------------------------------------------------------------------

from shaobao.api.models_open311 import (  # noqa: E402
    LIST_DATATYPES,
    Open311Request,
    ServiceAttribute,
    ServiceAttributeValue,
)


class ServiceAttributeValueInline(admin.TabularInline):
    model = ServiceAttributeValue
    extra = 1


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    """A matter's extra questions (GeoReport's service definition): a list's values are edited below it."""

    list_display = ["service_code", "order", "code", "datatype", "required", "variable", "description"]
    list_filter = ["datatype", "required"]
    search_fields = ["service_code", "code", "description"]
    inlines = [ServiceAttributeValueInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        attribute = form.instance
        if attribute.datatype not in LIST_DATATYPES:
            attribute.values.all().delete()


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ["demand", "service_code", "media_state", "created_at"]
    list_filter = ["media_state"]
    search_fields = ["demand__tracking_code", "service_code"]
    readonly_fields = [f.name for f in Open311Request._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
