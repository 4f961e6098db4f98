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
MENU: list[MenuItem] = [
    MenuItem(_("Home"), "home", ALL),
    MenuItem(
        _("Administration"), "admin:index", frozenset({"administrator"})
    ),
]


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    scope = scope_of(user)
    items = []
    for item in MENU:
        if item.roles and not scope.has_role(*item.roles) and not (item.url_name == "admin:index" and user.is_staff):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
