"""The demo logins: one user per role, all with the same documented password.

Street roles work in 滨河街道 (110117001), unit roles in 区城管执法局 (CGZF), so that a demand placed in
滨河街道 and whistled for 违法建设 reaches every demo user.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "shaobao-demo"
DEMO_STREET = "110117001000"  # 滨河街道
DEMO_COMMUNITY = "110117001002"  # 平粮社区
DEMO_DISTRICT = "110117000000"  # 平谷区
DEMO_UNIT = "CGZF"  # 区城管执法局


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
