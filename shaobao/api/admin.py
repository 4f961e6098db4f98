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
