"""Two coordinators picking the same topic at the same moment: one topic, one key task; the other gets 409.
On both databases (PostgreSQL: the unique place key, whose NULL-free value makes a street-level topic collide;
SQLite: the same key, and writers serialised by the immediate transactions)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from shaobao.core.errors import Conflict
from shaobao.keytasks import actions
from shaobao.keytasks.models import KeyTask, Topic
from tests.conftest import make_user
from tests.keytasks.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("place", ["street", "community"])
def test_two_coordinators_pick_the_same_topic_at_once(world, place):
    second = make_user("coordinator2", "district_coordinator", world.district)
    extra = {"community": world.community_a1.code} if place == "community" else {}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def choose(user):
        try:
            barrier.wait()
            actions.do_choose_topic(
                actor=user, month="2026-03", matter=world.matter.code, street=world.street_a.code,
                lead_unit=world.lead_unit.code, deadline=dt.date(2026, 5, 29), now=at(2026, 4, 2), **extra,
            )  # fmt: skip
            outcomes.append("chosen")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=choose, args=(u,)) for u in (world.users["coordinator"], second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["chosen", "conflict"]
    assert Topic.objects.count() == 1 and KeyTask.objects.count() == 1
    topic = Topic.objects.get()
    assert topic.place_key == f"{place}:{world.street_a.pk}:{world.community_a1.pk if extra else ''}:"


def test_the_place_key_tells_places_apart(world):
    base = {"month": "2026-03", "matter": world.matter.code, "street": world.street_a.code,
            "lead_unit": world.lead_unit.code, "deadline": dt.date(2026, 5, 29), "now": at(2026, 4, 2)}  # fmt: skip
    actions.do_choose_topic(actor=world.users["coordinator"], **base)
    actions.do_choose_topic(actor=world.users["coordinator"], **base, community=world.community_a1.code)
    assert Topic.objects.count() == 2
    with pytest.raises(Conflict):
        actions.do_choose_topic(actor=world.users["coordinator"], **base, community=world.community_a1.code)
