"""`python manage.py prepare_run`: what `make run` does before serving, in one process.

Migrate, load the demo district with its simulated month when the database is empty, collect the static
files (`--collectstatic`: `make run` serves them with hashed names through WhiteNoise) and print the demo
logins. One Django start-up instead of three keeps a warm `make run` within a few seconds.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "迁移、加载演示区（数据库为空时）并打印演示账号 / Migrate, load the demo if empty, print demo logins"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--collectstatic", action="store_true", help="collect the static files too")

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)  # (call_command skips the system checks)
        self._warn_database_checks()
        if options["collectstatic"] and not _static_up_to_date():
            call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_demo", if_empty=True)
        call_command("demo_users", table=True)

    def _warn_database_checks(self) -> None:
        """What needs an administrator before the pilot goes on, e.g. next year's holiday plan
        (core.checks): said at every start."""
        from django.core import checks

        for message in checks.run_checks(tags=[checks.Tags.database], databases=["default"]):
            if message.level >= checks.WARNING:
                self.stderr.write(str(message))  # with its hint


def _static_up_to_date() -> bool:
    """True when the collected manifest is newer than every source static file (a warm `make run` skips
    hashing and compressing them again)."""
    import os
    from pathlib import Path

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if os.stat(storage.path(path)).st_mtime > built:
                return False
    return True
