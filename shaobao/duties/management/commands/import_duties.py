"""`python manage.py import_duties FILE [--district 110117] [--name ...] [--publish] [--dry-run]`.

Creates a new draft version from an .xlsx or .csv file (format from the extension); with --publish it is put
in force at once. A file with errors is rejected whole: every error is printed and the exit status is 1.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shaobao.duties.actions import ImportRejected, do_import_duty_list
from shaobao.duties.io import file_format, overrides_path_for, parse_duty_file
from shaobao.duties.management.commands._common import district_from_option
from shaobao.duties.models import DutyList


class Command(BaseCommand):
    help = "Import a duty list (.xlsx or .csv) as a new draft version / 从文件导入权责清单（新草稿版本）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="duties.xlsx or duties.csv (street overrides: duties.overrides.csv)")
        parser.add_argument("--district", help="district code, e.g. 110117 (default: the only district)")
        parser.add_argument(
            "--name", default="", help="name of the new version (default: the list in force's)"
        )
        parser.add_argument("--publish", action="store_true", help="publish the new version at once")
        parser.add_argument(
            "--overrides", help="CSV only: the overrides file (default: <name>.overrides.csv)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        try:
            fmt = file_format(path.name)
        except ValueError as e:
            raise CommandError(str(e)) from e
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        district = district_from_option(opts["district"])
        overrides = None
        if fmt == "csv":
            overrides = Path(opts["overrides"]) if opts["overrides"] else overrides_path_for(path)
            if opts["overrides"] and not overrides.is_file():
                raise CommandError(f"文件不存在 / no such file: {overrides}")
            overrides = overrides if overrides.is_file() else None
        parsed = parse_duty_file(path, district=district, fmt=fmt, overrides=overrides, source_name=path.name)
        if parsed.errors:
            for issue in parsed.errors:
                self.stderr.write(str(issue))
            raise CommandError(ImportRejected(parsed.errors).message)
        if opts["dry_run"]:
            self.stdout.write(
                f"文件无误：{len(parsed.matters)} 个事项，{len(parsed.overrides)} 条街乡覆盖 / file OK: "
                f"{len(parsed.matters)} matters, {len(parsed.overrides)} street overrides (nothing written)"
            )
            return
        name = opts["name"]
        if not name:
            in_force = DutyList.objects.in_force(district)
            name = in_force.name if in_force else ""
        duty_list = do_import_duty_list(
            actor=None, district=district, parsed=parsed, name=name, publish=opts["publish"]
        )
        self.stdout.write(
            f"{duty_list} ({duty_list.get_status_display()} / {duty_list.status}): {len(parsed.matters)} 个事项 matters, "
            f"{len(parsed.overrides)} 条街乡覆盖 street overrides"
        )
