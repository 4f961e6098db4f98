"""The navigation menu: which pages each role sees. Apps add their entries to `MENU`."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from shaobao.org.scoping import scope_of


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    roles: frozenset[str]  # empty: every signed-in user with a role


ALL = frozenset()
STREET = {"grid_worker", "street_dispatcher", "street_leader"}
UNIT = {"unit_handler", "unit_leader"}
DISTRICT = {"district_coordinator", "administrator"}
# Entries whose URL name is not (yet) defined are left out.
MENU: list[MenuItem] = [
    MenuItem(_("Home"), "home", ALL),
    MenuItem(_("Inbox"), "whistles:inbox", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("Demands"), "intake:demand_list", frozenset(STREET | DISTRICT)),
    MenuItem(_("New demand"), "intake:new_demand", frozenset(STREET | DISTRICT)),
    MenuItem(_("Whistles"), "whistles:whistle_list", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(
        _("Evaluation"),
        "evaluation:index",
        frozenset({"street_dispatcher", "street_leader", "unit_leader"} | DISTRICT),
    ),
    MenuItem(_("Coordination platform"), "platform:board", frozenset(DISTRICT)),
    MenuItem(_("Report a problem"), "intake:public_form", frozenset({"resident"})),
    MenuItem(_("Administration"), "admin:index", frozenset({"administrator"})),
]


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    scope = scope_of(user)
    items = []
    for item in MENU:
        if (
            item.roles
            and not scope.has_role(*item.roles)
            and not (item.url_name == "admin:index" and user.is_staff)
        ):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
