"""Helpers for the key-task tests: a key task in the persona world, demands by hand."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from shaobao.core.calendar import local_tz
from shaobao.intake.models import Demand
from shaobao.keytasks import actions

_codes = itertools.count(1)


def at(year, month, day, hour=10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=local_tz())


def demand(world, when, *, matter=None, street=None, community=None, grid=None, phone=""):
    n = next(_codes)
    return Demand.objects.create(
        tracking_code=f"KT{n:010d}",
        channel="hotline_12345",
        subject="诉求",
        body="内容",
        reporter_phone=phone,
        street=street or world.street_a,
        community=community,
        grid=grid,
        matter=matter or world.matter,
        received_at=when,
        state="received",
    )


@pytest.fixture
def make_task(world):
    def make(now=None, days_ahead=10, **kwargs):
        now = now or at(2026, 3, 2, 9)
        params = {
            "title": "老旧小区加装电梯",
            "lead_unit": "CGZF",
            "participating_units": ["ZJW"],
            "deadline": (now + dt.timedelta(days=days_ahead)).date(),
            "milestones": [("摸底调查", None), ("完成施工", None)],
        }
        params.update(kwargs)
        return actions.do_create_key_task(actor=world.users["coordinator"], now=now, **params)

    return make
