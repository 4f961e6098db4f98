"""Admin: the category → matter mapping table, and the work orders received (phones masked)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shaobao.duties.models import Matter
from shaobao.hotline.models import CategoryMapping, HotlineOrder
from shaobao.intake.models import DemandKind
from shaobao.intake.privacy import mask_phone


class MappingForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=DemandKind.choices)

    class Meta:
        model = CategoryMapping
        fields = ("category", "matter_code", "kind", "is_active", "note")

    def clean_matter_code(self):
        code = (self.cleaned_data.get("matter_code") or "").strip()
        if code and not Matter.objects.filter(code=code).exists():
            raise forms.ValidationError(_("No matter has this code."))
        return code


@admin.register(CategoryMapping)
class CategoryMappingAdmin(admin.ModelAdmin):
    form = MappingForm
    list_display = ("category", "matter_code", "kind", "is_active", "note")
    list_filter = ("is_active", "kind")
    search_fields = ("category", "matter_code")


@admin.register(HotlineOrder)
class HotlineOrderAdmin(admin.ModelAdmin):
    list_display = (
        "order_no",
        "tracking_code",
        "category",
        "caller_phone",
        "urgent",
        "deadline",
        "source",
        "created_at",
    )
    list_filter = ("source", "urgent")
    search_fields = ("order_no", "demand__tracking_code")
    list_select_related = ("demand",)
    readonly_fields = (
        "order_no",
        "demand",
        "category",
        "called_at",
        "deadline",
        "urgent",
        "source",
        "created_by",
        "created_at",
    )

    @admin.display(description=_("tracking code"))
    def tracking_code(self, obj):
        return obj.demand.tracking_code

    @admin.display(description=_("phone"))
    def caller_phone(self, obj):
        return mask_phone(obj.demand.reporter_phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
