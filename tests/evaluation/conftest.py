"""The hand-built October of tests/evaluation/scenario.py, rolled up, for the evaluation tests."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.evaluation.rollup import rollup_days
from tests.evaluation.scenario import AS_OF, build


@pytest.fixture
def scenario(world):
    sc = build(world)
    rollup_days(dt.date(2026, 9, 1), dt.date(2026, 11, 30), as_of=AS_OF)
    return sc
