"""Emergency broadcasts reach down to grid workers and joint-defence groups: the taps (idempotent per broadcast,
household and state), the board's counts per grid, who may tap and see what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shaobao.core.errors import NotFound, ValidationFailed
from shaobao.core.models import Notification
from shaobao.households import actions, selectors
from shaobao.households.models import BroadcastReach, HouseholdTap
from shaobao.platform.actions import do_send_broadcast
from tests.households.conftest import send_down

pytestmark = pytest.mark.django_db


def tap(world, who, b, h, state, **kw):
    return actions.do_tap(actor=world.users[who], broadcast_id=b.pk, household_id=h.pk, state=state, **kw)


def test_a_broadcast_goes_down_only_when_asked(world, homes, django_capture_on_commit_callbacks):
    plain = do_send_broadcast(
        actor=world.users["coordinator"],
        district=world.district,
        streets=[world.street_a],
        title="t",
        body="b",
        level="blue",
    )
    assert not BroadcastReach.objects.filter(broadcast=plain).exists()
    with pytest.raises(NotFound):
        selectors.reached_broadcast(world.users["grid_worker"], plain.pk)
    with django_capture_on_commit_callbacks(execute=True):
        b = send_down(world)
    assert BroadcastReach.objects.get(broadcast=b).created_by == world.users["coordinator"]
    tap_url = reverse("households:tap", args=[b.pk])
    told = set(Notification.objects.filter(url=tap_url).values_list("user__username", flat=True))
    assert told == {"grid_worker", "grid_worker_a2", "lead_a"}  # street A's grid workers and group leads only
    # Sending down again changes nothing.
    assert actions.do_reach_down(actor=world.users["coordinator"], broadcast=b).broadcast_id == b.pk
    assert BroadcastReach.objects.count() == 1
    # Only the district's coordinators send down.
    with pytest.raises(NotFound):
        actions.do_reach_down(actor=world.users["dispatcher"], broadcast=plain)


def test_taps_are_idempotent(world, homes):
    b = send_down(world)
    h = homes.a1[3]
    t1, created1 = tap(world, "grid_worker", b, h, "moved", persons=4, tapped_at="2030-01-01T00:00:00Z")
    t2, created2 = tap(world, "grid_worker", b, h, "moved", persons=4, tapped_at="2030-01-01T00:00:00Z")
    assert created1 and not created2 and t1.pk == t2.pk
    # The same tap replayed by the lead, and an older tap with another count, change nothing.
    tap(world, "lead_a", b, h, "moved", persons=4)
    old = t1.tapped_at - dt.timedelta(seconds=30)
    tap(world, "grid_worker", b, h, "moved", persons=9, tapped_at=old.isoformat())
    assert HouseholdTap.objects.filter(broadcast=b, household=h).count() == 1
    assert HouseholdTap.objects.get(broadcast=b, household=h).persons == 4
    # A later correction of the head count is kept.
    later, created = tap(world, "grid_worker", b, h, "moved", persons=3)
    assert not created and later.persons == 3
    assert HouseholdTap.objects.filter(broadcast=b, household=h).count() == 1


def test_the_board_counts_households_and_persons_per_grid(world, homes):
    b = send_down(world)
    a1 = homes.a1  # persons 1..6
    tap(world, "grid_worker", b, a1[0], "warned")
    tap(world, "grid_worker", b, a1[0], "moved")  # warned then moved: counts once, as moved
    tap(world, "lead_a", b, a1[1], "warned", persons=2)
    tap(world, "lead_a", b, a1[1], "warned", persons=2)  # replay
    tap(world, "grid_worker", b, a1[2], "missing")
    tap(world, "grid_worker", b, a1[3], "missing")
    tap(world, "grid_worker", b, a1[3], "warned", persons=4)  # found after all
    tap(world, "grid_worker_a2", b, homes.a2[0], "moved", persons=2)
    figures = selectors.board(world.users["coordinator"], b)
    rows = {r["code"]: r for r in figures["rows"]}
    assert set(rows) == {world.grid_a1.code, homes.grid_a2.code}  # street B was not alerted
    g = rows[world.grid_a1.code]
    assert (g["households"], g["persons"]) == (6, 21)
    assert (g["reached"], g["reached_persons"]) == (3, 1 + 2 + 4)
    assert (g["moved"], g["moved_persons"]) == (1, 1)
    assert (g["missing"], g["missing_persons"]) == (1, 3)
    assert (g["pending"], g["pending_persons"]) == (2, 5 + 6)
    g2 = rows[homes.grid_a2.code]
    assert (g2["households"], g2["reached"], g2["moved"], g2["moved_persons"], g2["pending"]) == (
        2,
        1,
        1,
        2,
        1,
    )
    total = figures["total"]
    assert (total["households"], total["reached"], total["moved"], total["missing"], total["pending"]) == (
        8,
        4,
        2,
        1,
        3,
    )
    # A grid worker's board shows their grids; street B sees nothing of this broadcast.
    mine = selectors.board(world.users["grid_worker_a2"], b)
    assert [r["code"] for r in mine["rows"]] == [homes.grid_a2.code]
    with pytest.raises(NotFound):
        selectors.reached_broadcast(world.users["dispatcher_b"], b.pk)
    with pytest.raises(NotFound):
        selectors.reached_broadcast(world.users["grid_worker_b"], b.pk)


def test_who_may_tap(world, homes):
    b = send_down(world)
    with pytest.raises(NotFound):  # another street's worker: the broadcast is not theirs
        tap(world, "grid_worker_b", b, homes.a1[0], "warned")
    with pytest.raises(NotFound):  # another grid of the same street
        tap(world, "grid_worker", b, homes.a2[0], "warned")
    with pytest.raises(NotFound):  # the lead: only their group
        tap(world, "lead_a", b, homes.a1[5], "warned")
    with pytest.raises(Exception) as exc:  # the district: counts only
        tap(world, "coordinator", b, homes.a1[0], "warned")
    assert exc.value.status == 403
    with pytest.raises(ValidationFailed) as exc:
        tap(world, "grid_worker", b, homes.a1[0], "rescued", persons=99, tapped_at="yesterday")
    assert exc.value.fields == {"state": "unknown", "persons": "out_of_range", "tapped_at": "invalid"}
    # Street B's households are not covered by a broadcast to street A.
    both = send_down(world, streets=[world.street_a])
    with pytest.raises(NotFound):
        tap(world, "dispatcher_b", both, homes.b1[0], "warned")
    whole = send_down(world, streets=[])
    t, created = tap(world, "dispatcher_b", whole, homes.b1[0], "warned")
    assert created and t.persons == homes.b1[0].persons
    assert HouseholdTap.objects.filter(broadcast=b).count() == 0


def test_the_tap_endpoint_is_idempotent_json(client, world, homes):
    b = send_down(world)
    url = reverse("households:tap_post", args=[b.pk])
    client.force_login(world.users["grid_worker"])
    body = {"household": homes.a1[1].pk, "state": "moved", "persons": 2, "tapped_at": "2030-01-01T00:00:00Z"}
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 201 and first.json()["created"] is True
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 200 and again.json() == {
        "household": homes.a1[1].pk,
        "state": "moved",
        "persons": 2,
        "created": False,
    }
    bad = client.post(url, {**body, "persons": "many"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {"persons": "invalid"}
    other = client.post(url, {**body, "household": homes.a2[0].pk}, content_type="application/json")
    assert other.status_code == 404
    assert HouseholdTap.objects.count() == 1
    page = client.get(reverse("households:tap", args=[b.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert homes.a1[1].address in text and homes.a2[0].address not in text
    assert 'data-state="moved"' in text
    figures = client.get(reverse("households:board_figures", args=[b.pk]))
    assert figures.status_code == 200 and "data-total-moved" in figures.content.decode()


def test_pages_of_the_board(client, world, homes):
    b = send_down(world)
    client.force_login(world.users["coordinator"])
    board = client.get(reverse("households:board", args=[b.pk]))
    assert board.status_code == 200 and world.grid_a1.name in board.content.decode()
    assert homes.a1[0].address not in board.content.decode()  # counts only
    detail = client.get(reverse("platform:broadcast_detail", args=[b.pk]))
    assert reverse("households:board", args=[b.pk]) in detail.content.decode()
    client.force_login(world.users["dispatcher_b"])
    assert client.get(reverse("households:board", args=[b.pk])).status_code == 404
    assert client.get(reverse("households:tap", args=[b.pk])).status_code == 404
    client.force_login(world.users["lead_a"])
    assert client.get(reverse("households:tap", args=[b.pk])).status_code == 200
    assert client.get(reverse("households:broadcasts")).status_code == 200


def test_the_board_form_sends_down(client, world, homes):
    client.force_login(world.users["coordinator"])
    board = client.get(reverse("platform:board"))
    assert 'name="households"' in board.content.decode()
    response = client.post(
        reverse("platform:send_broadcast"),
        {
            "title": "山洪预警",
            "body": "立即转移",
            "level": "orange",
            "streets": [world.street_a.pk],
            "households": "1",
        },
    )
    assert response.status_code == 302
    assert BroadcastReach.objects.filter(broadcast__title="山洪预警").exists()
