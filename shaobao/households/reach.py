"""The hooks this app installs in the platform (see apps.py): a broadcast sent with the "households" option is
carried on down (`actions.do_reach_down`); the broadcast's page links to the households board or tap page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from shaobao.core.errors import NotFound


def on_broadcast_sent(broadcast, actor, options: dict) -> None:
    if options.get("households"):
        from shaobao.households.actions import do_reach_down

        do_reach_down(actor=actor, broadcast=broadcast)


def detail_link(user, broadcast):
    from shaobao.households import access, selectors

    try:
        selectors.reached_broadcast(user, broadcast.pk)
    except NotFound:
        return None
    r = access.reach(user)
    if r.sees_households and not r.is_district:
        return (_("Confirm households"), reverse("households:tap", args=[broadcast.pk]))
    return (_("Households board"), reverse("households:board", args=[broadcast.pk]))
