"""The demo district, loaded once per module for the modules that only read it (each test still rolls
back what it changes: its own transaction is a savepoint inside the module's)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from shaobao.org.models import Division


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    # Loading the demo takes seconds; a dozen tests each loading it took a minute of the suite.
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_demo", "--no-month", stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_once, db):
    return Division.objects.get(code="110117000000")
