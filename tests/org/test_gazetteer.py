"""The gazetteer in the admin: an administrator adds and edits places, checked against the divisions, and
place recognition reads the change at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.org.models import GazetteerEntry
from shaobao.org.places import guess_place
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form(world, **kw):
    values = {
        "name": "绿地公园",
        "aliases": "绿地 绿地广场",
        "kind": "landmark",
        "street": world.street_a.pk,
        "community": world.community_a1.pk,
        "lat": "",
        "lng": "",
        "is_active": "on",
    }
    values.update(kw)
    return values


def test_an_entry_added_in_the_admin_places_texts_at_once(world, admin_client):
    assert admin_client.get(reverse("admin:org_gazetteerentry_changelist")).status_code == 200
    answer = admin_client.post(reverse("admin:org_gazetteerentry_add"), form(world))
    assert answer.status_code == 302
    entry = GazetteerEntry.objects.get()
    assert entry.alias_list() == ["绿地", "绿地广场"]
    guess = guess_place(world.district, "绿地广场东门有人摆摊")
    assert (guess.street_id, guess.community_id) == (world.street_a.pk, world.community_a1.pk)
    answer = admin_client.post(
        reverse("admin:org_gazetteerentry_change", args=[entry.pk]),
        form(world, street=world.street_b.pk, community=""),
    )
    assert answer.status_code == 302
    assert guess_place(world.district, "绿地广场东门").street_id == world.street_b.pk


def test_the_admin_refuses_a_community_of_another_street_and_half_a_point(world, admin_client):
    answer = admin_client.post(
        reverse("admin:org_gazetteerentry_add"),
        form(world, street=world.street_b.pk, lat="40.1"),
    )
    assert answer.status_code == 200 and not GazetteerEntry.objects.exists()
    errors = answer.context["adminform"].form.errors
    assert "community" in errors and "lng" in errors
    answer = admin_client.post(
        reverse("admin:org_gazetteerentry_add"), form(world, street=world.community_a1.pk)
    )
    assert "street" in answer.context["adminform"].form.errors
