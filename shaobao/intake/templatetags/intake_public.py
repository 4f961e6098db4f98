"""The public tracking page's steps named in the page's language (the API keeps its bilingual `label`)."""

from __future__ import annotations

from django import template

from shaobao.intake.selectors import FEED_BACK_LABEL, PUBLIC_STEPS

register = template.Library()


@register.filter
def public_step(step: dict) -> str:
    """The step's name in the page's language; the stored label for a step the list does not know."""
    key = step.get("step", "")
    title = FEED_BACK_LABEL if key == "feed_back" else PUBLIC_STEPS.get(key)
    return str(title) if title is not None else step.get("label", "")
