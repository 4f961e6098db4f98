"""Admin: model versions with their figures (switch the one in use), and proposals with acceptance rates."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from shaobao.routing.models import ProposalRecord, RouterModel
from shaobao.routing.selectors import acceptance_by_matter


@admin.register(RouterModel)
class RouterModelAdmin(admin.ModelAdmin):
    list_display = ("version", "is_active", "method", "samples", "macro_f1", "top3", "size", "created_at")
    list_display_links = ("version",)
    list_filter = ("is_active",)
    actions = ("activate", "use_cold_start")
    exclude = ("blob",)
    readonly_fields = (
        "version",
        "is_active",
        "activated_at",
        "created_at",
        "created_by",
        "method",
        "source",
        "samples",
        "size_bytes",
        "sha256",
        "labels",
        "figures_table",
        "note",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    def has_add_permission(self, request):
        return False  # versions come from train_router

    def has_change_permission(self, request, obj=None):
        return False  # a stored version never changes; switching is an action

    @admin.display(description=_("macro-F1"))
    def macro_f1(self, obj):
        return obj.figures.get("macro_f1", "—")

    @admin.display(description=_("top-3"))
    def top3(self, obj):
        return obj.figures.get("top3_accuracy", "—")

    @admin.display(description=_("size"))
    def size(self, obj):
        return f"{obj.size_bytes / 1e6:.1f} MB"

    @admin.display(description=_("training figures"))
    def figures_table(self, obj):
        f = obj.figures or {}
        head = format_html_join(
            " · ",
            "{}: {}",
            [
                (k, f[k])
                for k in (
                    "accuracy",
                    "macro_f1",
                    "top3_accuracy",
                    "folds",
                    "samples",
                    "unlabeled",
                    "pseudo_labeled",
                    "seconds",
                )
                if k in f
            ],
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [
                (c, v["precision"], v["recall"], v["f1"], v["support"])
                for c, v in (f.get("per_class") or {}).items()
            ],
        )
        return format_html(
            "<p>{}</p><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
            "{}</table>",
            head,
            rows,
        )

    @admin.action(description=_("Use this version / 启用此版本"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "请只选择一个版本 / choose exactly one version", messages.ERROR)
            return
        from shaobao.routing import registry  # scikit-learn loads on first use, not at start-up

        row = queryset.first()
        registry.activate_version(row.pk)
        self.message_user(request, f"v{row.version} 已启用 / is now in use")

    @admin.action(description=_("Use the duty-list cold start (no model) / 停用模型"))
    def use_cold_start(self, request, queryset):
        from shaobao.routing import registry

        registry.activate_version(None)
        self.message_user(
            request, "已停用模型，按事项清单关键词推荐 / no model in use: cold start from the duty list"
        )


@admin.register(ProposalRecord)
class ProposalRecordAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "demand",
        "proposed_matter",
        "proposed_probability",
        "chosen_matter",
        "matter_accepted",
        "units_accepted",
        "actor",
    )
    list_filter = ("matter_accepted", "units_accepted", "created_at")
    list_select_related = ("demand", "proposed_matter", "chosen_matter", "actor")
    date_hierarchy = "created_at"
    raw_id_fields = ("demand",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "acceptance": acceptance_by_matter(months=6)}
        return super().changelist_view(request, extra_context=extra_context)
