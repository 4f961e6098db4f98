"""Admin: subscriptions (URL, secret, events), the events sent and their deliveries with every attempt;
deliveries can be replayed (an admin action)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shaobao.core import events
from shaobao.core.errors import DomainError
from shaobao.webhooks import actions
from shaobao.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=(), widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "district", "channel", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(n, n) for n in events.NAMES]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "event_list", "district", "channel", "is_active", "created_at")
    list_filter = ("is_active", "channel")
    search_fields = ("name", "url")
    readonly_fields = ("secret", "created_by", "created_at")
    actions = ("rotate_secret",)

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset):
        from shaobao.webhooks.models import new_secret

        for sub in queryset:
            sub.secret = new_secret()
            sub.save(update_fields=["secret"])
        self.message_user(request, _("New secrets issued: give them to the receivers."), messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status_code", "error", "duration_ms", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "event_name",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "replay_of",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "subscription", "event__name")
    search_fields = ("event__event_id", "subscription__name")
    list_select_related = ("event", "subscription")
    readonly_fields = (
        "event",
        "subscription",
        "replay_of",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_status_code",
        "created_at",
        "delivered_at",
    )
    inlines = [AttemptInline]
    actions = ("replay",)

    @admin.display(description=_("event"))
    def event_name(self, obj):
        return obj.event.name

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Replay the selected deliveries"))
    def replay(self, request, queryset):
        try:
            replays = actions.do_replay(
                actor=request.user, delivery_ids=queryset.values_list("pk", flat=True)
            )
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", len(replays))
            % {"n": len(replays)},
            messages.SUCCESS,
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "name", "occurred_at")
    list_filter = ("name",)
    search_fields = ("event_id",)
    readonly_fields = ("event_id", "name", "payload", "occurred_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
