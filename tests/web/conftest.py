"""Fixtures for the page tests: a demand of street A (with a reporter) and a whistle blown for it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from shaobao.intake.actions import do_receive_demand
from shaobao.whistles.actions import do_blow_whistle

REPORTER_NAME = "张三丰"
REPORTER_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The public form's rate limit lives in the cache; each test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demand(world):
    return do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="小区里有人私搭乱建",
        body="3号楼楼顶新建了一间房子",
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
        address="承平里3号楼",
        street_code=world.street_a.code,
        matter_code="CG-001",
    )


@pytest.fixture
def whistle(world, demand):
    return do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001"
    )


@pytest.fixture
def login(client, world):
    def as_(role: str):
        client.force_login(world.users[role])
        return client

    return as_
