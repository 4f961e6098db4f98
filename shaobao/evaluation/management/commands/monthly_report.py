"""`python manage.py monthly_report --month 2026-10 --out DIR`: the month's rankings as .xlsx and .pdf
(or `--from 2026-10-01 --to 2026-10-15` for any date range)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shaobao.core.errors import DomainError
from shaobao.evaluation import exports, selectors
from shaobao.org.models import Division


class Command(BaseCommand):
    help = (
        "Write evaluation-YYYY-MM.xlsx and .pdf (district-wide) into --out; with --from/--to, "
        "evaluation-FROM_TO.xlsx and .pdf for that date range."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument(
            "--from", dest="date_from", help="first day YYYY-MM-DD (with --to, instead of --month)"
        )
        parser.add_argument("--to", dest="date_to", help="last day YYYY-MM-DD, included")
        parser.add_argument("--out", default=".", help="output directory")
        parser.add_argument("--district", help="district code (default: the first district)")

    def handle(self, *args, month=None, out=".", district=None, date_from=None, date_to=None, **options):
        try:
            period = selectors.parse_period(month, date_from, date_to)
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
            path = target / f"evaluation-{period.slug}.{fmt}"
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
