"""The home page at `/`: each role's to-do dashboard (`whistles.todo`), or for a visitor who is not
signed in, the two things a resident comes for: report a problem, and track one by its code."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from shaobao.intake import people
from shaobao.intake.forms import TrackLookupForm
from shaobao.intake.models import Demand
from shaobao.org.access import STAFF_ROLES
from shaobao.org.scoping import scope_of
from shaobao.whistles.todo import todo_for, todo_totals

MY_DEMANDS = 20


@require_GET
def home(request):
    user = request.user
    if not user.is_authenticated:
        return render(request, "whistles/home_public.html", {"track_form": TrackLookupForm()})
    tiles = todo_for(user)
    # A resident has no inbox (a staff page): their own demands are listed here, with the tracking links.
    mine = None
    if not scope_of(user).has_role(*STAFF_ROLES):
        mine = Demand.objects.filter(created_by=user).only("tracking_code", "subject", "state")[:MY_DEMANDS]
    return render(
        request,
        "whistles/home.html",
        {
            "tiles": tiles,
            "my_demands": mine,
            "totals": todo_totals(tiles),
            "may_report": people.has_role(user, {"grid_worker", "resident"}),
            "may_receive": people.has_role(user, people.STREET_STAFF_ROLES | people.DISTRICT_DECIDERS),
        },
    )
