"""Who hears about a call: the centre's staff, the caller's staff, and the link they follow (shared by
the actions and the sweep)."""

from __future__ import annotations

from django.urls import reverse

from shaobao.intake import people
from shaobao.org.models import Division, Membership


def call_url(call_id: int) -> str:
    return reverse("calls:detail", args=[call_id])


def centre_staff(centre: Division) -> list[int]:
    role = "city_coordinator" if centre.level == "city" else "district_coordinator"
    return list(
        Membership.objects.filter(division=centre, role=role, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def caller_staff(caller: Division) -> list[int]:
    if caller.level == "street":
        return people.street_staff(caller.pk, ("street_dispatcher", "street_leader"))
    return centre_staff(caller)
