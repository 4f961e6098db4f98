"""The public tracking page's steps named in the page's language (the API keeps its bilingual `label`)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

PUBLIC_STEP_TITLES = {
    "receive": _("Received"),
    "transfer": _("Passed to the responsible street"),
    "self_handle": _("Being handled by the street"),
    "blow_whistle": _("Whistle blown, departments summoned"),
    "merge": _("Merged with a report of the same problem"),
    "finish_self_handling": _("Handled"),
    "verify_pass": _("Verified and closed"),
    "verify_fail": _("Sent back for rework"),
    "whistle_closed": _("Verified and closed"),
    "callback_satisfied": _("Called back"),
    "callback_unsatisfied": _("Called back, reopened"),
    "feed_back": _("The responsible department reported its result"),
}


@register.filter
def public_step(step: dict) -> str:
    """The step's name in the page's language; the stored label for a step this list does not know."""
    title = PUBLIC_STEP_TITLES.get(step.get("step", ""))
    return str(title) if title is not None else step.get("label", "")
