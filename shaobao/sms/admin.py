"""Admin: message templates per language, the opt-out list, and every message (phones masked)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shaobao.intake.privacy import mask_phone
from shaobao.sms.models import SmsMessage, SmsOptOut, SmsTemplate


class TemplateForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = SmsTemplate
        fields = ("key", "language", "text", "provider_template", "is_active")

    def clean_text(self):
        text = self.cleaned_data["text"]
        try:
            text.format(tracking_code="X", link="X", result="X", subject="X")
        except (KeyError, IndexError, ValueError) as exc:
            raise forms.ValidationError(_("Unknown placeholder: %(p)s") % {"p": exc}) from exc
        return text


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ("key", "language", "text", "provider_template", "is_active")
    list_filter = ("key", "language", "is_active")


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ("masked_phone", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("=phone",)  # an exact number only: no browsing by digits

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "template",
        "masked_phone",
        "language",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "delivered_at",
    )
    list_filter = ("status", "template", "language")
    search_fields = ("=phone", "provider_id", "demand__tracking_code")
    exclude = ("phone", "params")
    readonly_fields = (
        "key", "masked_phone", "demand", "template", "language", "text", "status", "attempts",
        "next_attempt_at", "provider_id", "error", "created_at", "sent_at", "delivered_at",
    )  # fmt: skip

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
