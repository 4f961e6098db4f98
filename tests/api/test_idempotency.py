"""`Idempotency-Key` on the lists' create endpoints: two requests racing with one key create one object, on
PostgreSQL and on SQLite (the mechanism of POST /demands, `shaobao.api.idempotency`)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shaobao.api.actions import do_issue_token
from shaobao.keytasks.models import KeyTask
from tests.api.conftest import ApiClient
from tests.api.test_keytasks import _body

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_creates_with_one_key_make_one_key_task(world):
    _, raw = do_issue_token(user=world.users["coordinator"])
    barrier = threading.Barrier(3)
    results: list[tuple[int, int]] = []

    def post() -> None:
        try:
            client = ApiClient(raw)
            barrier.wait()
            response = client.post("/api/v1/key-tasks", _body(), **{"Idempotency-Key": "race-k"})
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert KeyTask.objects.count() == 1
    assert {pk for _status, pk in results} == {KeyTask.objects.get().pk}
    assert sorted(status for status, _pk in results) == [200, 200, 201]
