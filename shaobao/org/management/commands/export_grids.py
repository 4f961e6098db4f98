"""`python manage.py export_grids FILE.geojson [--under CODE]`: grids as a GeoJSON FeatureCollection."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shaobao.org.geo import export_grids_file
from shaobao.org.models import Grid


class Command(BaseCommand):
    help = "将网格导出为 GeoJSON / Export grids as GeoJSON"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--under", help="only grids under this division code prefix, e.g. 110117001")

    def handle(self, *args, **options) -> None:
        grids = Grid.objects.all()
        if options["under"]:
            grids = grids.filter(community__code__startswith=options["under"])
        n = export_grids_file(options["file"], grids)
        self.stdout.write(self.style.SUCCESS(f"已导出 {n} 个网格 / exported {n} grids to {options['file']}"))
