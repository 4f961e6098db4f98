"""Small presentation helpers for the pages: readable labels for audit events and states, deadlines."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.core.labels import state_labels

register = template.Library()

# Audit actions (core.Event.action) written by the do_* actions, as people read them.
EVENT_LABELS = {
    "receive": _("received"),
    "received": _("received"),
    "receive_demand": _("received"),
    "correct_placement": _("placement corrected"),
    "place": _("placed"),
    "self_handle": _("assigned to the street's own unit"),
    "transfer": _("transferred to another street"),
    "merge": _("merged"),
    "merged": _("merged"),
    "finish_self_handling": _("handled by the street"),
    "verify_pass": _("verified: passed"),
    "verify_fail": _("verified: failed, rework"),
    "verify_self_handling": _("verified"),
    "blow_whistle": _("whistle blown"),
    "blow": _("whistle blown"),
    "summon": _("unit summoned"),
    "report_in": _("reported in"),
    "dispute": _("disputed"),
    "uphold": _("dispute upheld"),
    "reject": _("dispute rejected"),
    "arbitrate": _("arbitrated"),
    "progress": _("progress recorded"),
    "record_progress": _("progress recorded"),
    "request_extension": _("extension requested"),
    "decide_extension": _("extension decided"),
    "grant_extension": _("extension granted"),
    "refuse_extension": _("extension refused"),
    "finish": _("finished"),
    "feed_back": _("result fed back"),
    "whistle_closed": _("closed with its whistle"),
    "rework": _("sent back for rework"),
    "callback": _("called back"),
    "callback_satisfied": _("called back: satisfied"),
    "callback_unsatisfied": _("called back: not solved or unsatisfied, reopened"),
    "warning": _("deadline warning"),
    "overdue": _("overdue"),
    "supervision": _("supervision order"),
    "escalation": _("escalated"),
    "absorb": _("another demand merged into this one"),
    "reveal_reporter": _("viewed the reporter's name and phone"),
    "arbitrate_uphold": _("arbitrated: dispute upheld"),
    "arbitrate_reject": _("arbitrated: dispute rejected"),
    "promote_to_lead": _("promoted to lead unit"),
    "extension_granted": _("extension granted"),
    "extension_refused": _("extension refused"),
    "resident_follow_up": _("resident follow-up (Open311)"),
}


@register.filter
def event_label(action: str) -> str:
    """A readable label for an audit action; unknown actions are shown as written."""
    return EVENT_LABELS.get(action, action.replace("_", " "))


@register.filter
def state_label(value: str) -> str:
    """The translated label of a demand, whistle, summons or extension state value."""
    return state_labels().get(value, value) if value else ""


@register.filter
def is_past(value) -> bool:
    """True when a deadline has passed (used to highlight overdue deadlines)."""
    return bool(value) and value < timezone.now()


@register.simple_tag
def deadline_class(due, done_at=None) -> str:
    """CSS class of a deadline: done (met), late (met after the deadline), overdue (open and passed)."""
    if not due:
        return ""
    if done_at:
        return "late" if done_at > due else "met"
    return "overdue" if due < timezone.now() else "open"


@register.filter
def model_name(obj) -> str:
    """The model of a mixed list's item (inbox sections hold summonses, whistles, demands ...)."""
    return obj._meta.model_name if hasattr(obj, "_meta") else ""


@register.filter
def iso_local(value: str, fmt: str = "Y-m-d H:i") -> str:
    """Format an ISO 8601 timestamp (as selectors return them for the API) in the local time zone."""
    import datetime as dt

    from django.utils.dateformat import format as date_format

    if not value:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return date_format(parsed, fmt)


def _selected_values(bound) -> set[str]:
    value = bound.value()
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


@register.simple_tag
def fast_select(bound, **attrs) -> str:
    """A <select> for a form field with hundreds of choices (units, matters), built in one pass:
    Django's widget templates render each option separately, which costs ~1 ms per option."""
    from django.utils.html import format_html, format_html_join

    chosen = _selected_values(bound)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) in chosen else "", label) for value, label in bound.field.choices),
    )
    merged = {**bound.field.widget.attrs, **{k.replace("_", "-"): v for k, v in attrs.items()}}
    extra = format_html_join("", ' {}="{}"', merged.items())
    multiple = " multiple" if getattr(bound.field.widget, "allow_multiple_selected", False) else ""
    return format_html(
        '<select name="{}" id="{}"{}{}>{}</select>', bound.html_name, bound.auto_id, multiple, extra, options
    )


@register.simple_tag
def fast_checkboxes(bound) -> str:
    """Checkboxes for a multiple-choice field, built in one pass (see `fast_select`)."""
    from django.utils.html import format_html_join

    chosen = _selected_values(bound)
    return format_html_join(
        "",
        '<label><input type="checkbox" name="{}" value="{}"{}> {}</label>',
        (
            (bound.html_name, value, " checked" if str(value) in chosen else "", label)
            for value, label in bound.field.choices
        ),
    )
