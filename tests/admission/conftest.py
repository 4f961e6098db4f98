"""Helpers for the admission tests: entries and requests in the persona world's district (平谷区)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shaobao.admission import actions
from tests.api.conftest import anon, api_as  # noqa: F401 - the API fixtures, for test_api


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def add_entry(world):
    def make(name="协助开展人口普查", kind="assisting_duty", **kw):
        kw.setdefault("basis", "《中华人民共和国统计法》")
        kw.setdefault("valid_from", today() - dt.timedelta(days=30))
        kw.setdefault("unit", world.supporting_unit)
        return actions.do_add_entry(
            actor=world.users["coordinator"], district=world.district, name=name, kind=kind, **kw
        )

    return make


@pytest.fixture
def file_request(world):
    def make(persona="lead_handler", unit=None, **kw):
        kw.setdefault("kind", "ledger")
        kw.setdefault("name", "违法建设巡查台账")
        kw.setdefault("basis", "《城乡规划法》第六十四条")
        kw.setdefault("reason", "需要社区每月报送巡查情况")
        kw.setdefault("valid_from", today())
        return actions.do_file_request(actor=world.users[persona], unit=unit or world.lead_unit, **kw)

    return make
