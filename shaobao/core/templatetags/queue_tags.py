"""The admin index's notice of background tasks that failed after their last retry."""

from __future__ import annotations

from django import template

from shaobao.core.queue import owed_events, unresolved_failures

register = template.Library()


@register.inclusion_tag("admin/core/task_failures_notice.html", takes_context=True)
def task_failures_notice(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("core.view_taskfailure"):
        return {"count": None}
    return {"count": unresolved_failures(), "owed": owed_events()}
