"""Admin for duty lists: versions, matters, street overrides, import and export.

Published and retired versions are view-only here (the models refuse writes anyway); changes go into a new
draft ("new draft from this version"), which is published as a whole. Import and export use the same
`shaobao.duties.io` service as the management commands.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from shaobao.core.errors import DomainError
from shaobao.duties import io as duty_io
from shaobao.duties.actions import do_create_draft, do_discard_draft, do_import_duty_list, do_publish
from shaobao.duties.io_columns import KEYWORD_SPLIT, split_list
from shaobao.duties.models import Domain, DutyList, DutyListStatus, Matter, MatterOverride
from shaobao.duties.selectors import matter_search_q, version_diff
from shaobao.org.models import Division
from shaobao.org.scoping import scope_of


def _frozen(obj) -> bool:
    if isinstance(obj, DutyList):
        return obj.is_frozen
    if isinstance(obj, Matter):
        return obj.duty_list.is_frozen
    return False


def _scoped(request, queryset, district_field: str):
    """Staff see the lists of their own district(s); superusers see every district's."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(scope_of(request.user).code_q(district_field, district_wide=True))


class FrozenAwareMixin:
    """View-only once the version is published: no add, change or delete."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _frozen(obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and _frozen(obj):
            return False
        if isinstance(self, admin.options.InlineModelAdmin):
            return super().has_add_permission(request, obj)
        return super().has_add_permission(request)


INLINE_MATTERS_MAX = 100


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class MatterOverrideInline(FrozenAwareMixin, admin.TabularInline):
    model = MatterOverride
    extra = 0
    raw_id_fields = ("street", "lead_unit", "supporting_units")
    fields = (
        "street",
        "lead_unit",
        "supporting_units",
        "replace_supporting_units",
        "time_limit",
        "time_limit_unit",
        "street_may_handle",
    )


class MatterInline(FrozenAwareMixin, admin.TabularInline):
    model = Matter
    extra = 0
    show_change_link = True
    raw_id_fields = ("lead_unit",)
    fields = ("code", "name", "domain", "lead_unit", "time_limit", "time_limit_unit", "street_may_handle")


class DutyListForm(forms.ModelForm):
    copy_in_force = forms.BooleanField(
        label=_("copy the version in force"),
        required=False,
        initial=True,
        help_text=_("start from the published list's matters and street overrides"),
    )

    class Meta:
        model = DutyList
        fields = ("district", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "district" in self.fields:
            self.fields["district"].queryset = Division.objects.filter(level="district")


@admin.register(DutyList)
class DutyListAdmin(FrozenAwareMixin, admin.ModelAdmin):
    form = DutyListForm
    list_display = ("name", "district", "version", "status", "matter_count", "published_at", "export_links")
    list_filter = ("status", ("district", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    actions = ("publish_selected", "new_draft_from_selected")
    readonly_fields = (
        "version",
        "status",
        "based_on",
        "created_at",
        "published_at",
        "retired_at",
        "matters_link",
        "changes",
        "export_links",
    )

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).select_related("district").annotate(_matters=Count("matters"))
        )
        return _scoped(request, queryset, "district__code")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("district", "name", "copy_in_force")
        return ("district", "name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("district", *self.readonly_fields)

    def get_inlines(self, request, obj):
        # A long list is edited from the matter list (filtered by version): thousands of inline forms
        # would make the page unusable.
        if obj is None or obj.matters.count() > INLINE_MATTERS_MAX:
            return []
        return [MatterInline]

    @admin.display(description=_("matters"))
    def matters_link(self, obj: DutyList) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:duties_matter_changelist") + f"?duty_list__id__exact={obj.pk}"
        return format_html('<a href="{}">{} →</a>', url, obj.matters.count())

    @admin.display(description=_("matters"), ordering="_matters")
    def matter_count(self, obj: DutyList) -> int:
        return getattr(obj, "_matters", None) or obj.matters.count()

    @admin.display(description=_("changes against the version in force"))
    def changes(self, obj: DutyList) -> str:
        if obj.pk is None or obj.is_frozen:
            return "-"
        in_force = DutyList.objects.in_force(obj.district)
        diff = version_diff(in_force, obj)
        if diff.is_empty:
            return "无变化 / no changes"
        parts = [
            ("新增事项 added", diff.added),
            ("删除事项 removed", diff.removed),
            ("修改事项 changed", diff.changed),
            ("新增覆盖 overrides added", diff.overrides_added),
            ("删除覆盖 overrides removed", diff.overrides_removed),
            ("修改覆盖 overrides changed", diff.overrides_changed),
        ]
        return format_html_join(
            "",
            "<div><strong>{}</strong> ({}): {}</div>",
            ((k, len(v), "、".join(v[:50])) for k, v in parts if v),
        )

    @admin.display(description=_("export"))
    def export_links(self, obj: DutyList) -> str:
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">xlsx</a> · <a href="{}">csv</a> · <a href="{}">overrides.csv</a>',
            reverse("admin:duties_dutylist_export", args=[obj.pk, "xlsx"]),
            reverse("admin:duties_dutylist_export", args=[obj.pk, "csv"]),
            reverse("admin:duties_dutylist_export", args=[obj.pk, "overrides.csv"]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new version is numbered and (optionally) filled by the one write path.
        draft = do_create_draft(
            actor=request.user,
            district=obj.district,
            name=obj.name,
            copy=form.cleaned_data.get("copy_in_force", False),
        )
        obj.__dict__.update({k: v for k, v in draft.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def delete_model(self, request, obj):
        # Through the write path, so that discarding a draft is audited and permission-checked.
        do_discard_draft(actor=request.user, duty_list_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for duty_list in queryset:
            try:
                self.delete_model(request, duty_list)
            except DomainError as e:  # a published or retired version among the selected
                self.message_user(request, f"{duty_list}: {e.message}", messages.ERROR)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as e:
            self.message_user(request, e.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Publish the selected draft"))
    def publish_selected(self, request: HttpRequest, queryset) -> None:
        for duty_list in queryset.order_by("version"):
            try:
                published = do_publish(actor=request.user, duty_list_id=duty_list.pk)
            except DomainError as e:
                self.message_user(request, f"{duty_list}: {e.message}", messages.ERROR)
            else:
                self.message_user(request, f"{published}: 已发布 / published", messages.SUCCESS)

    @admin.action(description=_("New draft from this version"))
    def new_draft_from_selected(self, request: HttpRequest, queryset):
        if queryset.count() != 1:
            self.message_user(request, "请只选择一个版本 / select exactly one version", messages.ERROR)
            return None
        source = queryset.get()
        try:
            draft = do_create_draft(
                actor=request.user, district=source.district, name=source.name, source_id=source.pk
            )
        except DomainError as e:
            self.message_user(request, e.message, messages.ERROR)
            return None
        self.message_user(request, f"{draft}: 草稿已创建 / draft created", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:duties_dutylist_change", args=[draft.pk]))

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="duties_dutylist_import"),
            path(
                "<int:pk>/export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="duties_dutylist_export",
            ),
        ]
        return urls + super().get_urls()

    def export_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        duty_list = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, duty_list):
            raise PermissionDenied
        response = HttpResponse()
        name = f"duties-{duty_list.district.code[:6]}-v{duty_list.version}"
        if fmt == "xlsx":
            buffer = io.BytesIO()
            duty_io.export_duty_list(duty_list, buffer, fmt="xlsx")
            response.write(buffer.getvalue())
            response["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            filename = f"{name}.xlsx"
        elif fmt == "csv":
            duty_io.export_duty_list(duty_list, response, fmt="csv")
            response["Content-Type"] = "text/csv; charset=utf-8"
            filename = f"{name}.csv"
        elif fmt == "overrides.csv":
            sink = HttpResponse()  # the matters part, discarded
            duty_io.export_duty_list(duty_list, sink, fmt="csv", overrides_out=response)
            response["Content-Type"] = "text/csv; charset=utf-8"
            filename = f"{name}.overrides.csv"
        else:
            return HttpResponse(status=404)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_view(self, request: HttpRequest) -> TemplateResponse | HttpResponseRedirect:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a duty list"),
            "form": form,
            "issues": [],
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            parsed = duty_io.parse_duty_file(
                upload,
                district=data["district"],
                fmt=duty_io.file_format(upload.name),
                overrides=data.get("overrides") or None,
                source_name=upload.name,
            )
            context["issues"] = parsed.errors
            context["parsed"] = parsed
            if not parsed.errors and not data["check_only"]:
                try:
                    draft = do_import_duty_list(
                        actor=request.user,
                        district=data["district"],
                        parsed=parsed,
                        name=data["name"] or upload.name.rsplit(".", 1)[0],
                        publish=data["publish"],
                    )
                except DomainError as e:
                    self.message_user(request, e.message, messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{draft}: 已导入 {len(parsed.matters)} 个事项 / imported {len(parsed.matters)} matters",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:duties_dutylist_change", args=[draft.pk]))
        return TemplateResponse(request, "admin/duties/dutylist/import.html", context)


class ImportForm(forms.Form):
    district = forms.ModelChoiceField(queryset=Division.objects.filter(level="district"), label=_("district"))
    file = forms.FileField(label=_("file (.xlsx or .csv)"))
    overrides = forms.FileField(
        label=_("street overrides (.csv, optional)"),
        required=False,
        help_text=_("only with a .csv file; an .xlsx carries its overrides in the 'overrides' sheet"),
    )
    name = forms.CharField(label=_("name of the new version"), required=False, max_length=200)
    check_only = forms.BooleanField(label=_("check only, import nothing"), required=False)
    publish = forms.BooleanField(label=_("publish at once"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            duty_io.file_format(upload.name)
        except ValueError as e:
            raise forms.ValidationError(str(e)) from e
        return upload


class MatterForm(forms.ModelForm):
    """Keywords typed as in the spreadsheet ("违建、私搭乱建"), not as JSON."""

    keywords = forms.CharField(
        label=_("keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("separated by 、 ; or line breaks"),
    )

    class Meta:
        model = Matter
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["keywords"] = "、".join(self.instance.keywords or [])

    def clean_keywords(self) -> list[str]:
        return split_list(self.cleaned_data.get("keywords") or "", KEYWORD_SPLIT)


@admin.register(Matter)
class MatterAdmin(FrozenAwareMixin, admin.ModelAdmin):
    form = MatterForm
    list_display = (
        "code",
        "name",
        "domain",
        "lead_unit",
        "time_limit_display",
        "duty_list",
        "street_may_handle",
    )
    list_filter = (
        "domain",
        "duty_list",
        "duty_list__status",
        ("lead_unit", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("domain", "lead_unit", "duty_list")
    search_fields = ("code", "name")  # keywords: see get_search_results
    search_help_text = _("code, name or keyword")
    raw_id_fields = ("lead_unit", "supporting_units")
    inlines = [MatterOverrideInline]

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request), "duty_list__district__code")

    @admin.display(description=_("time limit"))
    def time_limit_display(self, obj: Matter) -> str:
        return f"{obj.time_limit} {obj.get_time_limit_unit_display()}"

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        for word in search_term.split():
            queryset = queryset.filter(matter_search_q(word))
        return queryset, False

    def get_readonly_fields(self, request, obj=None):
        return ("duty_list",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "duty_list":
            kwargs["queryset"] = DutyList.objects.filter(status=DutyListStatus.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
