from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from tests.api.conftest import anon, api_as  # noqa: F401 - the API fixtures, shared
from tests.integration.receiver import Receiver


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        r = Receiver(**kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture(autouse=True)
def _clean_schedule():
    HUEY.storage.flush_schedule()
    yield
    HUEY.storage.flush_schedule()
