"""`python manage.py export_duties FILE [--district 110117] [--version N]`.

Writes the list in force (or version N) as .xlsx or .csv, in exactly the layout import_duties reads. For
.csv the street overrides go to `<name>.overrides.csv` beside it.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shaobao.duties.io import export_duty_list, file_format, overrides_path_for
from shaobao.duties.management.commands._common import district_from_option
from shaobao.duties.models import DutyList


class Command(BaseCommand):
    help = "Export a duty list version to .xlsx or .csv / 导出权责清单"

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version is the list's version number, replacing Django's "print the version" flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="duties.xlsx or duties.csv")
        parser.add_argument("--district", help="district code, e.g. 110117 (default: the only district)")
        parser.add_argument("--version", type=int, help="version number (default: the version in force)")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        try:
            fmt = file_format(path.name)
        except ValueError as e:
            raise CommandError(str(e)) from e
        district = district_from_option(opts["district"])
        if opts["version"] is not None:
            duty_list = DutyList.objects.filter(district=district, version=opts["version"]).first()
            if duty_list is None:
                raise CommandError(f"版本 {opts['version']} 不存在 / no version {opts['version']}")
        else:
            duty_list = DutyList.objects.in_force(district)
            if duty_list is None:
                raise CommandError("没有生效的清单，请用 --version / no list in force; give --version")
        with path.open("wb") as out:
            if fmt == "csv":
                with overrides_path_for(path).open("wb") as o_out:
                    export_duty_list(duty_list, out, fmt=fmt, overrides_out=o_out)
            else:
                export_duty_list(duty_list, out, fmt=fmt)
        count = duty_list.matters.count()
        extra = f" + {overrides_path_for(path)}" if fmt == "csv" else ""
        self.stdout.write(f"{duty_list}: {count} 个事项 matters → {path}{extra}")
