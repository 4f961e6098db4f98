"""The district coordination board (区级统筹平台): one page, the live map's JSON feed, emergency broadcasts.

Views are thin: `selectors.board_district` decides who may look (district coordinators and
administrators, scoped to their district), the selectors read, the template shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core.replica import reads_from_replica
from shaobao.intake.views import paginate, perform, web_view
from shaobao.intake.views_support import map_context
from shaobao.keytasks.selectors import board_panel as key_tasks_board_panel
from shaobao.platform import actions, extensions, selectors
from shaobao.platform.models import BroadcastLevel

OVERDUE_PER_PAGE = 50


@require_GET
@reads_from_replica
@web_view
def board(request):
    user = request.user
    district = selectors.board_district(user)
    now = timezone.now()
    page = paginate(request, selectors.overdue_list(user, district, now=now), OVERDUE_PER_PAGE)
    street_rows = selectors.street_workloads(user, district)
    return render(
        request,
        "platform/board.html",
        {
            "district": district,
            "now": now,
            "overdue": selectors.overdue_summary(user, district, now=now),
            "page": page,
            "unit_workloads": selectors.unit_workloads(user, district, now=now),
            "street_workloads": street_rows,
            "hot": selectors.hot_spots(user, district, now=now),
            # key tasks past their deadline (重点任务清单): the lists' supervision shows here too
            "key_tasks_panel": key_tasks_board_panel(user, now=now),
            "map_days": selectors.MAP_DAYS,
            "map_cap": selectors.MAP_CAP,
            "map_refresh_seconds": selectors.MAP_REFRESH_SECONDS,
            "broadcasts": selectors.recent_broadcasts(district),
            "broadcast_streets": sorted(street_rows, key=lambda r: r["code"]),  # the form's choices
            "broadcast_levels": BroadcastLevel.choices,
            "broadcast_options": extensions.send_options(),
            **map_context(),
        },
    )


@require_GET
@reads_from_replica
@web_view
def map_json(request):
    district = selectors.board_district(request.user)
    response = JsonResponse(
        selectors.map_points(request.user, district), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@reads_from_replica
@web_view
def forces(request):
    """The board's forces view: the panels of forces sent down (`forces_board.FORCES_PANELS`)."""
    from shaobao.platform.forces_board import panels

    district = selectors.board_district(request.user)
    return render(
        request,
        "platform/forces.html",
        {"district": district, "now": timezone.now(), "panels": panels(request.user, district)},
    )


# --- emergency broadcasts (应急广播) -----------------------------------------------------------------


@require_POST
@web_view
def send_broadcast(request):
    """The board's form: send to the chosen streets (none: the whole district)."""
    district = selectors.board_district(request.user)
    broadcast, status = perform(
        request,
        actions.do_send_broadcast,
        district=district,
        streets=request.POST.getlist("streets"),
        title=request.POST.get("title", ""),
        body=request.POST.get("body", ""),
        level=request.POST.get("level", ""),
        options={name: True for name, _label in extensions.send_options() if request.POST.get(name)},
    )
    if broadcast is not None:
        n = broadcast.receipts.count()
        messages.success(request, _("Broadcast sent to %(n)d people.") % {"n": n})
    return redirect(reverse("platform:board") + "#broadcasts")


@require_GET
@web_view
def broadcast_detail(request, pk: int):
    broadcast, own, receipts = selectors.broadcast_for(request.user, pk)
    return render(
        request,
        "platform/broadcast_detail.html",
        {
            "broadcast": broadcast,
            "own": own,
            "receipts": receipts,
            "acknowledged": sum(1 for r in receipts if r.acknowledged_at),
            "extra_links": extensions.detail_links(request.user, broadcast),
        },
    )


@require_POST
@web_view
def acknowledge(request, pk: int):
    """已知悉: from the banner (htmx: the banner is redrawn) or from the broadcast's page."""
    actions.do_acknowledge(actor=request.user, broadcast=pk)
    if request.htmx:
        return _banner(request)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("platform:broadcast_detail", args=[pk])
    return redirect(target)


@require_GET
def banner(request):
    """Loaded (and polled every minute) by the htmx placeholder at the top of every page (base.html)."""
    return _banner(request)


def _banner(request):
    """The unacknowledged broadcasts of the signed-in user, loaded into every page by htmx (empty if none)."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    pending = selectors.pending_broadcasts(request.user)
    if not pending:
        return HttpResponse("")
    return render(request, "platform/banner.html", {"pending": pending})
