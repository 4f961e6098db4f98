"""Racing retries: two requests with one Idempotency-Key at the same moment create one demand (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shaobao.intake.models import Demand
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_retries_with_one_key_create_one_demand(world):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is exercised on PostgreSQL (SQLite serialises writers)")
    from shaobao.api.actions import do_issue_token

    _, raw = do_issue_token(user=world.users["dispatcher"])
    body = {"channel": "hotline_12345", "subject": "井盖缺失", "body": "路口井盖丢失", "street": "110117001"}
    barrier = threading.Barrier(4)
    results: list[tuple[int, int]] = []

    def post() -> None:
        try:
            client = ApiClient(raw)
            barrier.wait()
            response = client.post("/api/v1/demands", body, **{"Idempotency-Key": "race-1"})
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Demand.objects.count() == 1
    assert {demand_id for _status, demand_id in results} == {Demand.objects.get().pk}
    assert sorted(status for status, _id in results) == [200, 200, 200, 201]
