"""The navigation menu: which pages each role sees. Apps add their entries to `MENU`.

Roles come from memberships (org, above core): org's AppConfig.ready() installs the look-up with
`set_roles_of`, so core never imports org."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


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
    MenuItem(_("Task admission"), "admission:catalogue", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("Forces sent down"), "forces:deployment_list", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("My deployment"), "forces:me", frozenset({"deployed_cadre"})),
    MenuItem(_("Delegated powers"), "powers:power_list", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("Street's powers"), "powers:street_powers", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("Key tasks"), "keytasks:list", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("Monthly topics"), "keytasks:topics", frozenset(DISTRICT)),
    MenuItem(_("Accountability"), "keytasks:referrals", frozenset(DISTRICT)),
    MenuItem(_("Community check-in"), "checkin:members", frozenset(STREET | UNIT | DISTRICT)),
    MenuItem(_("My services"), "checkin:me", frozenset({"checkin_member"})),
    MenuItem(_("Report a problem"), "intake:public_form", frozenset({"resident"})),
    MenuItem(
        _("Village work teams"),
        "workteams:team_list",
        frozenset(STREET | UNIT | DISTRICT | {"deployed_cadre"}),
    ),
    MenuItem(_("Import 12345 work orders"), "hotline:upload", frozenset(DISTRICT)),
    MenuItem(_("Administration"), "admin:index", frozenset({"administrator"})),
    MenuItem(_("Grids and households"), "households:grids", frozenset(STREET | DISTRICT)),
    MenuItem(_("Calls up"), "calls:board", frozenset(STREET | UNIT | DISTRICT | {"city_coordinator"})),
    MenuItem(_("City rankings"), "evaluation:city", frozenset({"city_coordinator"})),
]


# Entries shown together under one heading of the top bar (a <details> dropdown on a desktop, a folded
# section of the phone's menu): url name → the group's label. A group a user sees one entry of is shown as
# that plain entry. The group sits where its first entry stands in MENU.
GROUP_LABELS = {"coordination": _("Coordination"), "lists": _("Lists"), "forces": _("Forces")}
GROUPS: dict[str, str] = {
    "admission:catalogue": "lists",
    "powers:power_list": "lists",
    "powers:street_powers": "lists",
    "keytasks:list": "lists",
    "keytasks:topics": "lists",
    "keytasks:referrals": "lists",
    "forces:deployment_list": "forces",
    "workteams:team_list": "forces",
    "checkin:members": "forces",
    "households:grids": "forces",
    "platform:board": "coordination",
    "calls:board": "coordination",
    "evaluation:city": "coordination",
    "hotline:upload": "coordination",
}

_roles_of: Callable[[object], frozenset[str]] | None = None


def set_roles_of(lookup: Callable[[object], frozenset[str]]) -> None:
    """Install how a signed-in user's role codes are found (org.apps does, at start-up)."""
    global _roles_of
    _roles_of = lookup


def roles_of(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if _roles_of is None:
        raise RuntimeError("no role look-up installed: is shaobao.org in INSTALLED_APPS?")
    return _roles_of(user)


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = roles_of(user)
    items = []
    for item in MENU:
        if (
            item.roles
            and not (user.is_superuser or roles & item.roles)
            and not (item.url_name == "admin:index" and user.is_staff)
        ):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return _grouped(items)


def _grouped(items: list[dict]) -> list[dict]:
    """Fold the entries of each group (`GROUPS`) into one {"label", "key", "group", "items", "names"} entry
    where the group's first entry stands; a group the user sees one entry of stays a plain entry."""
    members: dict[str, list[dict]] = {}
    for item in items:
        if item["name"] in GROUPS:
            members.setdefault(GROUPS[item["name"]], []).append(item)
    out: list[dict] = []
    for item in items:
        key = GROUPS.get(item["name"])
        if key is None or len(members[key]) < 2:
            out.append(item)
        elif members[key][0] is item:
            out.append(
                {
                    "label": GROUP_LABELS[key],
                    "key": key,
                    "group": True,
                    "items": members[key],
                    "names": [e["name"] for e in members[key]],
                }
            )
    return out
