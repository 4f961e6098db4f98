"""Django admin for the organisation: divisions, grids, units, users with their memberships.

Labels come from the models' gettext_lazy names, so the admin follows the active language (zh-hans first).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

from shaobao.org.geo import export_grids, geometry_problem
from shaobao.org.models import Division, DivisionLevel, GazetteerEntry, Grid, Membership, Unit, User


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    list_per_page = 100


class GazetteerForm(forms.ModelForm):
    class Meta:
        model = GazetteerEntry
        fields = ["name", "aliases", "kind", "street", "community", "lat", "lng", "is_active"]

    def clean(self):
        data = super().clean()
        street, community = data.get("street"), data.get("community")
        if street is not None and street.level != DivisionLevel.STREET:
            self.add_error("street", _("Choose a street or township."))
        if community is not None and (
            community.level != DivisionLevel.COMMUNITY or community.parent_id != getattr(street, "pk", None)
        ):
            self.add_error("community", _("Choose a community or village of that street."))
        if (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lng", _("Give both latitude and longitude, or neither."))
        return data


@admin.register(GazetteerEntry)
class GazetteerAdmin(admin.ModelAdmin):
    """The district's places (roads, landmarks, estates, hamlets) that place recognition reads; an edit
    takes effect for new demands at once (in other server processes within seconds)."""

    form = GazetteerForm
    list_display = ["name", "kind", "street", "community", "aliases", "is_active", "updated_at"]
    list_filter = ["kind", "is_active", "street"]
    search_fields = ["name", "aliases", "street__name", "community__name"]
    list_select_related = ["street", "community"]
    autocomplete_fields = ["street", "community"]
    list_per_page = 100


class GridForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ["code", "name", "community", "geometry", "is_sample"]

    def clean_geometry(self):
        geometry = self.cleaned_data["geometry"]
        problem = geometry_problem(geometry)
        if problem:
            raise forms.ValidationError(f"{problem[0]} / {problem[1]}")
        return {"type": geometry["type"], "coordinates": geometry["coordinates"]}

    def clean_community(self):
        community = self.cleaned_data["community"]
        if community is not None and community.level != DivisionLevel.COMMUNITY:
            raise forms.ValidationError(_("Choose a community or village."))
        return community


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridForm
    list_display = ["code", "name", "community", "is_sample", "updated_at"]
    list_filter = ["is_sample"]
    search_fields = ["code", "name", "community__name", "community__code"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    readonly_fields = ["min_lng", "min_lat", "max_lng", "max_lat", "updated_at"]
    fields = ["code", "name", "community", "geometry", "is_sample", *readonly_fields]
    actions = ["export_geojson"]

    @admin.action(description=_("Export selected grids as GeoJSON"))
    def export_geojson(self, request, queryset):
        """The same FeatureCollection as `manage.py export_grids`, which `import_grids` reads back."""
        response = JsonResponse(export_grids(queryset), json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = 'attachment; filename="grids.geojson"'
        return response


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "division", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "division__name"]
    list_select_related = ["division", "parent"]
    autocomplete_fields = ["division", "parent"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["division", "unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "phone", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Contact"), {"fields": ["phone"]}),
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "division", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "division__name", "unit__name", "unit__code"]
    list_select_related = ["user", "division", "unit"]
    autocomplete_fields = ["user", "division", "unit"]
