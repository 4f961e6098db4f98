"""The home page at `/`: each role's to-do dashboard (`whistles.todo`), or for a visitor who is not
signed in, the two things a resident comes for: report a problem, and track one by its code."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from shaobao.intake import people
from shaobao.intake.forms import TrackLookupForm
from shaobao.whistles.todo import todo_for, todo_totals


@require_GET
def home(request):
    user = request.user
    if not user.is_authenticated:
        return render(request, "whistles/home_public.html", {"track_form": TrackLookupForm()})
    tiles = todo_for(user)
    return render(
        request,
        "whistles/home.html",
        {
            "tiles": tiles,
            "totals": todo_totals(tiles),
            "may_report": people.has_role(user, {"grid_worker", "resident"}),
            "may_receive": people.has_role(user, people.STREET_STAFF_ROLES | people.DISTRICT_DECIDERS),
        },
    )
