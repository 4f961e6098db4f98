"""Admin for the records an administrator acts on: background tasks that failed after their last retry."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.core.models import CalendarDay, OutboxEvent, TaskFailure


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ("task_name", "error_head", "occurrences", "attempts", "last_failed_at", "resolved")
    list_filter = ("resolved", "task_name")
    search_fields = ("task_name", "error", "args_summary")
    date_hierarchy = "last_failed_at"
    readonly_fields = (
        "task_name",
        "args_summary",
        "task_id",
        "error",
        "traceback",
        "attempts",
        "occurrences",
        "first_failed_at",
        "last_failed_at",
        "resolved_at",
    )
    fields = (*readonly_fields[:-1], "resolved", "resolved_at")
    actions = ("mark_resolved",)

    def has_add_permission(self, request):
        return False  # written by the worker only

    @admin.display(description=_("error"))
    def error_head(self, obj: TaskFailure) -> str:
        return obj.error[:120]

    @admin.action(description=_("Mark the selected failures resolved"))
    def mark_resolved(self, request, queryset):
        n = queryset.filter(resolved=False).update(resolved=True, resolved_at=timezone.now())
        self.message_user(request, _("%(n)d failure(s) marked resolved.") % {"n": n})

    def save_model(self, request, obj, form, change):
        if obj.resolved and obj.resolved_at is None:
            obj.resolved_at = timezone.now()
        elif not obj.resolved:
            obj.resolved_at = None
        super().save_model(request, obj, form, change)


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Domain events not yet told to every subscriber: the worker retries them with backoff."""

    list_display = ("name", "event_id", "occurred_at", "attempts", "next_attempt_at", "pending")
    list_filter = ("name",)
    search_fields = ("event_id", "name", "last_error")
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ("retry_now",)

    def has_add_permission(self, request):
        return False  # written by the actions only

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected events at the next sweep"), permissions=["view"])
    def retry_now(self, request, queryset):
        n = queryset.update(next_attempt_at=timezone.now())
        self.message_user(request, _("%(n)d event(s) will be retried within a minute.") % {"n": n})


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The State Council's holiday plan, entered day by day where `chinese-calendar` has no data yet."""

    list_display = ("date", "is_workday", "note")
    list_editable = ("is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("note",)
