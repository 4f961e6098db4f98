"""The bell: unread count in the top bar (polled by htmx), the notifications page, mark as read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from shaobao.core import notifications
from shaobao.core.models import Notification


@require_GET
def bell(request):
    """The badge alone: polled every 10 s, so it stays one COUNT query."""
    return render(
        request, "core/notifications/bell.html", {"unread": notifications.unread_count(request.user)}
    )


@login_required
@require_GET
def notification_list(request):
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications/list.html",
        {"page": page, "unread": notifications.unread_count(request.user)},
    )


@login_required
@require_POST
def mark_read(request, pk: int):
    """Mark one as read and follow its link (only links inside this site)."""
    notifications.mark_read(request.user, [pk])
    target = Notification.objects.filter(user=request.user, pk=pk).values_list("url", flat=True).first()
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("core:notifications")


@login_required
@require_POST
def mark_all_read(request):
    notifications.mark_read(request.user)
    return redirect("core:notifications")
