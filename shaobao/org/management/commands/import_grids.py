"""`python manage.py import_grids FILE.geojson`: upsert grids from a GeoJSON FeatureCollection."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shaobao.org.geo import GeoJSONInvalid, import_grids_file


class Command(BaseCommand):
    help = "从 GeoJSON 导入网格（全部有效才写入）/ Import grids from GeoJSON (all or nothing)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a GeoJSON FeatureCollection (see docs/org.md)")

    def handle(self, *args, **options) -> None:
        try:
            result = import_grids_file(options["file"])
        except GeoJSONInvalid as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"网格已导入：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged} / "
                f"grids imported: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
            )
        )
