"""Races through the API, on PostgreSQL and on SQLite: two requests with one Idempotency-Key create one
demand; two users acting on one demand at once get 200 and 409 (never 500 "database is locked")."""

from __future__ import annotations

import functools
import threading

import pytest
from django.db import connection

from shaobao.intake.models import Demand
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_retries_with_one_key_create_one_demand(world):
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


def _race(*calls):
    """Run the calls at the same moment in threads (one connection each); their responses, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _demand(client: ApiClient) -> int:
    body = {"channel": "hotline_12345", "subject": "井盖缺失", "body": "路口井盖丢失", "street": "110117001"}
    response = client.post("/api/v1/demands", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_two_users_triaging_one_demand_at_once_get_200_and_409(world):
    from shaobao.api.actions import do_issue_token

    dispatcher = ApiClient(do_issue_token(user=world.users["dispatcher"])[1])
    leader = ApiClient(do_issue_token(user=world.users["street_leader"])[1])
    for _round in range(5):
        demand_id = _demand(dispatcher)
        path = f"/api/v1/demands/{demand_id}/triage"
        body = {"action": "self_handle", "unit": "BH-CG"}
        responses = _race(*(functools.partial(c.post, path, body) for c in (dispatcher, leader)))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.json()["error"]["code"] == "illegal_transition"
        assert Demand.objects.get(pk=demand_id).state == "self_handling"


def test_eight_clients_working_their_own_demands_at_once_never_get_a_server_error(world):
    """Each client: receive → triage (self-handle) → finish → verify → callback, all at the same time."""
    from shaobao.api.actions import do_issue_token

    raw = do_issue_token(user=world.users["dispatcher"])[1]
    handler_raw = do_issue_token(user=world.users["section_handler"])[1]

    def chain():
        client, handler = ApiClient(raw), ApiClient(handler_raw)
        statuses = []
        for _ in range(3):
            demand_id = _demand(client)
            base = f"/api/v1/demands/{demand_id}"
            statuses.append(
                client.post(f"{base}/triage", {"action": "self_handle", "unit": "BH-CG"}).status_code
            )
            statuses.append(handler.post(f"{base}/finish", {"note": "已处理"}).status_code)
            statuses.append(client.post(f"{base}/verify", {"passed": True}).status_code)
            statuses.append(
                client.post(f"{base}/callback", {"solved": True, "satisfaction": "satisfied"}).status_code
            )
        return statuses

    outcomes = _race(*[chain] * 8)
    assert [s for statuses in outcomes for s in statuses if s != 200] == []
    assert Demand.objects.filter(state="called_back").count() == 24
