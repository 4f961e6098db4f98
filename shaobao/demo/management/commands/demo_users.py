"""`python manage.py demo_users --json | --table [--all]`: the demo logins.

`--json` lists every demo login: the eight role accounts, then a handler per unit and a dispatcher per
street. `--table` (what `make run` prints) shows the role accounts and one line counting the others, unless
`--all` is given.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from shaobao.demo.users import DEMO_USERS, DemoUser, app_accounts, per_unit_accounts
from shaobao.org.models import Division, Role, Unit, User


class Command(BaseCommand):
    help = "列出演示账号 / List the demo logins"

    def add_arguments(self, parser) -> None:
        fmt = parser.add_mutually_exclusive_group()
        fmt.add_argument("--json", action="store_true", help="machine-readable JSON list of all demo logins")
        fmt.add_argument("--table", action="store_true", help="readable table (default)")
        parser.add_argument(
            "--all",
            action="store_true",
            help="table: also list every unit's handler and every street's dispatcher",
        )

    def handle(self, *args, **options) -> None:
        present = set(
            User.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list(
                "username", flat=True
            )
        )
        users = [u for u in DEMO_USERS if u.username in present] + app_accounts()
        extra = per_unit_accounts()
        if options["json"]:
            self.stdout.write(json.dumps([u.as_json() for u in users + extra], ensure_ascii=False))
            return
        if not users and not extra:
            self.stdout.write(
                "没有演示账号，请先运行 load_demo / no demo users: run `manage.py load_demo` first"
            )
            return
        self.stdout.write("演示账号 / demo logins:")
        self._table(users + extra if options["all"] else users)
        if extra and not options["all"]:
            handlers = sum(1 for u in extra if u.role == Role.UNIT_HANDLER)
            dispatchers = len(extra) - handlers
            self.stdout.write(
                f"  另有 {handlers} 个单位承办人（h-<单位代码小写>）和 {dispatchers} 个街乡调度员"
                "（d-<街乡代码>），密码相同；列出全部：demo_users --all 或 --json"
            )
            self.stdout.write(
                f"  plus {handlers} unit handlers (h-<unit code in lower case>) and {dispatchers} street "
                "dispatchers (d-<street code>), same password; list them: demo_users --all or --json"
            )

    def _table(self, users: list[DemoUser]) -> None:
        units = dict(Unit.objects.filter(code__in=[u.unit_code for u in users]).values_list("code", "name"))
        divisions = dict(
            Division.objects.filter(code__in=[u.division_code for u in users]).values_list("code", "name")
        )
        rows = [("用户名 username", "密码 password", "角色 role", "单位 unit", "区划 division")]
        rows += [
            (
                u.username,
                u.as_json()["password"],
                f"{Role(u.role).label} ({u.role})",
                f"{units.get(u.unit_code, '')} ({u.unit_code})" if u.unit_code else "-",
                f"{divisions.get(u.division_code, '')} ({u.division_code})",
            )
            for u in users
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)]
            self.stdout.write(("  " + "  ".join(cells)).rstrip())


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
