"""`python manage.py monthly_report --month 2026-10 --out DIR`: the month's rankings as .xlsx and .pdf."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.evaluation import exports, selectors
from shaobao.org.models import Division


class Command(BaseCommand):
    help = "Write evaluation-YYYY-MM.xlsx and .pdf (district-wide) into --out."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument("--out", default=".", help="output directory")
        parser.add_argument("--district", help="district code (default: the first district)")

    def handle(self, *args, month=None, out=".", district=None, **options):
        try:
            period = selectors.parse_month(month)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        qs = Division.objects.filter(level="district")
        division = (
            qs.filter(code=Division.full_code(district)).first() if district else qs.order_by("code").first()
        )
        if division is None:
            raise CommandError("没有区 / No district")
        # The report is district-wide: read as a superuser bound to that district.
        report = exports.build_report(_DistrictReader(division), period)
        target = Path(out)
        target.mkdir(parents=True, exist_ok=True)
        for fmt, render in (("xlsx", exports.to_xlsx), ("pdf", exports.to_pdf)):
            path = target / f"evaluation-{period.label}.{fmt}"
            path.write_bytes(render(report))
            self.stdout.write(str(path))


class _DistrictReader:
    """A stand-in user with district scope over one district (for the command line, no login)."""

    is_authenticated = True
    is_superuser = True
    pk = None

    def __init__(self, district: Division):
        from shaobao.org.scoping import Scope

        prefix = district.prefix
        self._shaobao_scope = Scope(
            frozenset({"administrator"}), (prefix,), (prefix,), frozenset(), frozenset(), True
        )
