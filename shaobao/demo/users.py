"""The demo logins, all with the same documented password.

Eight role accounts (`DEMO_USERS`, named after their role, used by docs and tests): street roles work in
滨河街道 (110117001), unit roles in 区城管执法局 (CGZF), so that a demand placed in 滨河街道 and whistled for
违法建设 reaches every one of them. Besides them, so that any whistle of the demo can be played through by
hand, every unit has a handler `h-<unit code in lower case>` (e.g. `h-cgzf`, `h-110117001-cjk`) and every
street a dispatcher `d-<street code>` (e.g. `d-110117001000`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEMO_PASSWORD = "shaobao-demo"
DEMO_STREET = "110117001000"  # 滨河街道
DEMO_COMMUNITY = "110117001002"  # 平粮社区
DEMO_DISTRICT = "110117000000"  # 平谷区
DEMO_UNIT = "CGZF"  # 区城管执法局
HANDLER_PREFIX = "h-"
DISPATCHER_PREFIX = "d-"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    unit_code: str | None
    division_code: str

    def as_json(self) -> dict:
        return {
            "username": self.username,
            "password": DEMO_PASSWORD,
            "role": self.role,
            "unit_code": self.unit_code,
            "division_code": self.division_code,
        }


DEMO_USERS: list[DemoUser] = [
    DemoUser("resident", "王秀兰", "resident", None, DEMO_COMMUNITY),
    DemoUser("gridworker", "李建国", "grid_worker", None, DEMO_STREET),
    DemoUser("dispatcher", "张丽", "street_dispatcher", None, DEMO_STREET),
    DemoUser("streetleader", "刘志强", "street_leader", None, DEMO_STREET),
    DemoUser("handler", "陈明", "unit_handler", DEMO_UNIT, DEMO_DISTRICT),
    DemoUser("unitleader", "赵海军", "unit_leader", DEMO_UNIT, DEMO_DISTRICT),
    DemoUser("coordinator", "孙晓梅", "district_coordinator", None, DEMO_DISTRICT),
    DemoUser("admin", "系统管理员", "administrator", None, DEMO_DISTRICT),
]


def handler_username(unit_code: str) -> str:
    return HANDLER_PREFIX + unit_code.lower()


def dispatcher_username(street_code: str) -> str:
    return DISPATCHER_PREFIX + street_code


def unit_handlers(units: Iterable[tuple[str, str, str]]) -> list[DemoUser]:
    """One handler per unit; units: (code, name, code of the unit's division), the membership's division."""
    return [
        DemoUser(handler_username(code), f"{name}承办人", "unit_handler", code, division_code)
        for code, name, division_code in units
    ]


def street_dispatchers(streets: Iterable[tuple[str, str]]) -> list[DemoUser]:
    """One dispatcher per street; streets: (code, name)."""
    return [
        DemoUser(dispatcher_username(code), f"{name}调度员", "street_dispatcher", None, code)
        for code, name in streets
    ]


def per_unit_accounts() -> list[DemoUser]:
    """The generated handlers and dispatchers present in the database (unit order, then street order).

    Read back from the memberships, so that the list is exactly what a login can do; an account counts only
    if its name matches its unit or street (another user called `h-...` is not a demo account).
    """
    from django.db.models import Q

    from shaobao.org.models import Membership

    rows = (
        Membership.objects.filter(
            Q(role="unit_handler", user__username__startswith=HANDLER_PREFIX)
            | Q(role="street_dispatcher", user__username__startswith=DISPATCHER_PREFIX)
        )
        .select_related("user", "unit", "division")
        .order_by("role", "unit__code", "division__code")
    )
    handlers, dispatchers = [], []
    for m in rows:
        name = m.user.username
        if m.role == "unit_handler" and m.unit and name == handler_username(m.unit.code):
            handlers.append(DemoUser(name, m.user.first_name, m.role, m.unit.code, m.division.code))
        elif m.role == "street_dispatcher" and not m.unit and name == dispatcher_username(m.division.code):
            dispatchers.append(DemoUser(name, m.user.first_name, m.role, None, m.division.code))
    return handlers + dispatchers


# Accounts the apps' demo modules create beside the eight role accounts (forces sent down, village work teams,
# 双报到, households, the demo city's levels): listed with the others when they are present.
APP_USERNAMES = (
    "cadre",
    "teammember",
    "member",
    "rider",
    "grouplead",
    "citycoord",
    "miyuncoord",
    "miyundispatcher",
    "twocounties",
)


def app_accounts() -> list[DemoUser]:
    """The apps' demo accounts present in the database, each with its first role (read back from memberships)."""
    from shaobao.org.models import Membership

    rows = (
        Membership.objects.filter(user__username__in=APP_USERNAMES)
        .select_related("user", "unit", "division")
        .order_by("id")
    )
    seen: dict[str, DemoUser] = {}
    for m in rows:
        name = m.user.username
        if name not in seen:
            unit = m.unit.code if m.unit else None
            seen[name] = DemoUser(name, m.user.first_name, m.role, unit, m.division.code)
    return [seen[n] for n in APP_USERNAMES if n in seen]
