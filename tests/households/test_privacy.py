"""Households are private: the street and its grid workers see them (a grid worker only their grids'), a group's
lead their group (masked), the district counts only; a street never sees another street's households."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.core.errors import Forbidden, NotFound
from shaobao.core.models import Event, PersonalDataAccess
from shaobao.households import access, privacy, selectors
from tests.households.conftest import fresh

pytestmark = pytest.mark.django_db


def ids(qs):
    return {h.pk for h in qs}


def test_a_street_sees_its_households_and_never_another_streets(world, homes):
    a = ids(homes.a1 + homes.a2)
    b = ids(homes.b1)
    assert ids(selectors.households_for(world.users["dispatcher"])) == a
    assert ids(selectors.households_for(world.users["street_leader"])) == a
    assert ids(selectors.households_for(world.users["dispatcher_b"])) == b
    # Asking by street code or grid of the other street returns nothing either.
    assert not selectors.households_for(world.users["dispatcher"], street=world.street_b.code).exists()
    assert not selectors.households_for(world.users["dispatcher_b"], grid=world.grid_a1.code).exists()
    with pytest.raises(NotFound):
        access.access_household(world.users["dispatcher_b"], homes.a1[0].pk)
    with pytest.raises(NotFound):
        access.access_household(world.users["dispatcher"], homes.b1[0].pk)


def test_a_grid_worker_sees_only_their_grids_households(world, homes):
    u = world.users
    assert ids(selectors.households_for(u["grid_worker"])) == ids(homes.a1)
    assert ids(selectors.households_for(u["grid_worker_a2"])) == ids(homes.a2)
    assert ids(selectors.households_for(u["grid_worker_b"])) == ids(homes.b1)
    with pytest.raises(NotFound):
        access.access_household(u["grid_worker"], homes.a2[0].pk)
    # Detached from the grid: nothing any more.
    homes.workers["a1"].is_active = False
    homes.workers["a1"].save()
    with pytest.raises(Forbidden):
        selectors.households_for(fresh(u["grid_worker"]))


def test_the_district_sees_counts_only(world, homes):
    u = world.users
    for name in ("coordinator", "admin"):
        with pytest.raises(Forbidden):
            selectors.households_for(u[name])
        with pytest.raises(Forbidden):
            access.access_household(u[name], homes.a1[0].pk)
    counts = {row["code"]: row for row in selectors.household_counts(u["coordinator"])}
    assert counts[world.street_a.code]["households"] == 8
    assert counts[world.street_a.code]["persons"] == sum(h.persons for h in homes.a1 + homes.a2)
    assert counts[world.street_a.code]["groups"] == 1 and counts[world.street_a.code]["grouped"] == 5
    assert counts[world.street_b.code]["households"] == 3
    # A street's dispatcher's counts are their street's only.
    assert [r["code"] for r in selectors.household_counts(u["dispatcher_b"])] == [world.street_b.code]


def test_units_residents_and_other_districts_see_nothing(world, homes):
    for name in ("lead_handler", "section_handler", "resident", "outsider", "nobody"):
        with pytest.raises(Forbidden):
            selectors.households_for(world.users[name])


def test_a_groups_lead_sees_the_group_masked_and_cannot_unmask(world, homes):
    lead = world.users["lead_a"]
    seen = list(selectors.households_for(lead))
    assert ids(seen) == ids(homes.a1[:5])
    contact = privacy.contact(lead, seen[0])
    assert "*" in contact["name"] and "****" in contact["phone"] and not contact["may_reveal"]
    with pytest.raises(Forbidden):
        privacy.contact(lead, seen[0], reveal=True)
    # Searching by phone cannot probe what the lead may not unmask.
    assert not selectors.households_for(lead, q=homes.a1[1].head_phone[-4:]).exists()
    assert not PersonalDataAccess.objects.exists()


def test_unmasking_is_logged(world, homes):
    worker = world.users["grid_worker"]
    h = homes.a1[2]
    masked = privacy.contact(worker, h)
    assert masked["phone"] != h.head_phone and masked["may_reveal"]
    shown = privacy.contact(worker, h, reveal=True, purpose="emergency")
    assert shown == {"name": h.head_name, "phone": h.head_phone, "masked": False, "may_reveal": True}
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.subject_type, log.subject_id, log.purpose) == (
        worker,
        "households.household",
        h.pk,
        "emergency",
    )
    assert Event.objects.filter(
        subject_type="households.household", subject_id=h.pk, action="reveal_contact"
    ).exists()
    # Search by the last digits works for those who may unmask.
    assert ids(selectors.households_for(worker, q=h.head_phone[-4:])) == {h.pk}


def test_pages_keep_households_private(client, world, homes):
    a_address = homes.a1[0].address
    client.force_login(world.users["dispatcher_b"])
    page = client.get(reverse("households:households"))
    assert page.status_code == 200
    text = page.content.decode()
    assert homes.b1[0].address in text and a_address not in text
    assert homes.b1[0].head_phone not in text  # masked in the list
    assert client.get(reverse("households:household", args=[homes.a1[0].pk])).status_code == 404

    client.force_login(world.users["coordinator"])
    page = client.get(reverse("households:households"))
    assert page.status_code == 200
    text = page.content.decode()
    assert a_address not in text and homes.b1[0].address not in text
    assert "data-counts" in text
    assert client.get(reverse("households:household", args=[homes.a1[0].pk])).status_code == 403

    for name in ("resident", "lead_handler"):
        client.force_login(world.users[name])
        assert client.get(reverse("households:households")).status_code == 403
        assert client.get(reverse("households:groups")).status_code == 403

    client.force_login(world.users["grid_worker"])
    detail = reverse("households:household", args=[homes.a1[0].pk])
    assert homes.a1[0].head_phone not in client.get(detail).content.decode()
    revealed = client.post(detail, {"purpose": "contact"})
    assert revealed.status_code == 200 and homes.a1[0].head_phone in revealed.content.decode()
    assert (
        PersonalDataAccess.objects.filter(user=world.users["grid_worker"], subject_id=homes.a1[0].pk).count()
        == 1
    )
    assert client.get(reverse("households:household", args=[homes.a2[0].pk])).status_code == 404


def test_anonymous_goes_to_the_login(client, world, homes):
    response = client.get(reverse("households:households"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
