"""/api/v1/grid-workers, /households, /household-groups, /emergencies/{id}/taps and /board: scoped like the pages,
masked, paginated and filtered, 400 naming the field with nothing written, idempotent taps."""

from __future__ import annotations

import pytest

from shaobao.households.models import GridWorker, Household, HouseholdGroup, HouseholdTap
from tests.api.conftest import api_as, assert_error  # noqa: F401 - the fixture
from tests.conftest import make_user
from tests.households.conftest import send_down

pytestmark = pytest.mark.django_db


def test_households_are_scoped_masked_and_paginated(api_as, world, homes):  # noqa: F811
    body = api_as("dispatcher").get("/api/v1/households", {"page_size": 5}).json()
    assert body["count"] == 8 and len(body["results"]) == 5 and body["next"]
    first = body["results"][0]
    assert "****" in first["head_phone"] and "*" in first["head_name"]
    assert {r["street"]["code"] for r in body["results"]} == {world.street_a.code}
    mine = api_as("grid_worker").get("/api/v1/households", {"page_size": 100}).json()
    assert {r["id"] for r in mine["results"]} == {h.pk for h in homes.a1}
    b = api_as("dispatcher_b").get("/api/v1/households", {"grid": world.grid_a1.code}).json()
    assert b["count"] == 0
    group = api_as("dispatcher").get("/api/v1/households", {"group": homes.group.pk}).json()
    assert group["count"] == 5
    assert_error(api_as("coordinator").get("/api/v1/households"), 403)
    assert_error(api_as("lead_handler").get("/api/v1/households"), 403)


def test_create_household_and_errors_naming_the_field(api_as, world, homes):  # noqa: F811
    client = api_as("grid_worker")
    ok = client.post(
        "/api/v1/households",
        {
            "grid": world.grid_a1.code,
            "address": "承平里9号院",
            "head_name": "赵六",
            "head_phone": "10099990000",
            "persons": 4,
        },
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["head_phone"] == "100****0000" and ok.json()["persons"] == 4
    before = Household.objects.count()
    bad = client.post(
        "/api/v1/households",
        {"grid": world.grid_a1.code, "address": "x", "head_name": "y", "head_phone": "no", "persons": 99},
    )
    assert assert_error(bad, 400)["fields"] == {"head_phone": "invalid", "persons": "out_of_range"}
    missing = client.post("/api/v1/households", {"grid": world.grid_a1.code})
    assert set(assert_error(missing, 400)["fields"]) == {"address", "head_name", "head_phone"}
    other = client.post(
        "/api/v1/households",
        {"grid": homes.grid_b1.code, "address": "x", "head_name": "y", "head_phone": "10012345678"},
    )
    assert assert_error(other, 400)["fields"] == {"grid": "unknown"}
    assert Household.objects.count() == before


def test_grid_workers(api_as, world, homes):  # noqa: F811
    listing = api_as("coordinator").get("/api/v1/grid-workers", {"kind": "part_time"}).json()
    assert [r["username"] for r in listing["results"]] == ["grid_worker_a2"]
    assert api_as("coordinator").get("/api/v1/grid-workers").json()["count"] == 3
    assert api_as("dispatcher_b").get("/api/v1/grid-workers").json()["count"] == 1
    make_user("gw3", "grid_worker", world.street_a)
    created = api_as("dispatcher").post(
        "/api/v1/grid-workers", {"username": "gw3", "grid": homes.grid_a2.code, "kind": "part_time"}
    )
    assert created.status_code == 201 and created.json()["kind"] == "part_time"
    bad = api_as("dispatcher").post(
        "/api/v1/grid-workers", {"username": "gw3", "grid": homes.grid_a2.code, "kind": "x"}
    )
    assert "kind" in assert_error(bad, 400)["fields"]
    again = api_as("dispatcher").post("/api/v1/grid-workers", {"username": "gw3", "grid": homes.grid_a2.code})
    assert assert_error(again, 400)["fields"] == {"username": "already_attached"}
    assert_error(api_as("resident").get("/api/v1/grid-workers"), 403)
    assert GridWorker.objects.filter(user__username="gw3").count() == 1


def test_groups(api_as, world, homes):  # noqa: F811
    listing = api_as("grid_worker").get("/api/v1/household-groups").json()
    assert listing["count"] == 1 and listing["results"][0]["households"] == 5
    assert listing["results"][0]["lead_username"] == "lead_a"
    assert api_as("dispatcher_b").get("/api/v1/household-groups").json()["count"] == 0
    extra = homes.a1[5]
    bad = api_as("grid_worker").post(
        "/api/v1/household-groups",
        {
            "grid": world.grid_a1.code,
            "name": "二组",
            "households": [extra.pk, homes.a1[0].pk],
            "lead": homes.b1[0].pk,
        },
    )
    assert assert_error(bad, 400)["fields"] == {"households": "already_grouped", "lead": "not_in_group"}
    h = (
        api_as("grid_worker")
        .post(
            "/api/v1/households",
            {
                "grid": world.grid_a1.code,
                "address": "10号院",
                "head_name": "钱七",
                "head_phone": "10011112222",
            },
        )
        .json()
    )
    ok = api_as("grid_worker").post(
        "/api/v1/household-groups",
        {"grid": world.grid_a1.code, "name": "二组", "households": [extra.pk, h["id"]], "lead": h["id"]},
    )
    assert ok.status_code == 201 and ok.json()["households"] == 2 and ok.json()["lead"] == h["id"]
    assert HouseholdGroup.objects.count() == 2


def test_taps_over_the_api_are_idempotent(api_as, world, homes):  # noqa: F811
    b = send_down(world)
    url = f"/api/v1/emergencies/{b.pk}/taps"
    tap = {
        "household": homes.a1[0].pk,
        "state": "moved",
        "persons": 1,
        "tapped_at": "2030-01-01T08:00:00+08:00",
    }
    first = api_as("lead_a").post(url, tap)
    assert first.status_code == 201 and first.json()["created"] is True
    replay = api_as("grid_worker").post(url, tap)
    assert replay.status_code == 200 and replay.json()["created"] is False
    assert HouseholdTap.objects.count() == 1
    assert "state" in assert_error(api_as("grid_worker").post(url, {**tap, "state": "gone"}), 400)["fields"]
    assert_error(api_as("grid_worker_b").post(url, tap), 404)
    assert_error(api_as("grid_worker").post(f"/api/v1/emergencies/{b.pk + 99}/taps", tap), 404)
    board = api_as("coordinator").get(f"/api/v1/emergencies/{b.pk}/board").json()
    assert board["total"]["moved"] == 1 and board["total"]["households"] == 8
    assert {r["grid"]["code"] for r in board["rows"]} == {world.grid_a1.code, homes.grid_a2.code}
    assert_error(api_as("dispatcher_b").get(f"/api/v1/emergencies/{b.pk}/board"), 404)
    assert HouseholdTap.objects.count() == 1


def test_the_schema_lists_the_codes(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    text = str(schema)
    assert "/api/v1/emergencies/{broadcast_id}/taps" in schema["paths"]
    assert "'warned', 'moved', 'missing'" in text and "'full_time', 'part_time'" in text
