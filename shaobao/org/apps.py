"""Organisation: divisions, grids, units, people."""

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "shaobao.org"
    label = "org"
    verbose_name = "Organisation: divisions, grids, units, people"
