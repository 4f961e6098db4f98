"""Staff pages are for staff: a resident (or a user without any role) gets 403, not an empty page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def staff_urls(demand, whistle) -> list[tuple[str, str]]:
    summons = whistle.summonses.first()
    return [
        ("get", reverse("intake:demand_list")),
        ("get", reverse("intake:new_demand")),
        ("post", reverse("intake:new_demand")),
        ("get", reverse("intake:demand_detail", args=[demand.pk])),
        ("post", reverse("intake:self_handle", args=[demand.pk])),
        ("post", reverse("intake:callback", args=[demand.pk])),
        ("get", reverse("whistles:whistle_list")),
        ("get", reverse("whistles:inbox")),
        ("get", reverse("whistles:inbox_items")),
        ("get", reverse("whistles:whistle_detail", args=[whistle.pk])),
        ("get", reverse("whistles:blow_units")),
        ("post", reverse("whistles:report_in", args=[summons.pk])),
        ("post", reverse("whistles:arbitrate", args=[summons.pk])),
        ("get", reverse("whistles:unit_search")),
        ("get", reverse("evaluation:index")),
        ("get", reverse("evaluation:matters")),
        ("get", reverse("evaluation:drill")),
        ("get", reverse("evaluation:rate", args=[whistle.pk])),
        ("get", reverse("evaluation:survey")),
        ("post", reverse("evaluation:publish")),
        ("get", reverse("evaluation:export", args=["xlsx"])),
        ("get", reverse("evaluation:export", args=["csv"])),
        ("get", reverse("platform:board")),
        ("get", reverse("platform:map_json")),
        ("post", reverse("platform:send_broadcast")),
    ]


@pytest.mark.parametrize("role", ["resident", "nobody"])
def test_every_staff_page_refuses_a_user_without_a_staff_role(client, world, demand, whistle, role):
    client.force_login(world.users[role])
    for method, url in staff_urls(demand, whistle):
        answer = getattr(client, method)(url)
        assert answer.status_code == 403, (method, url, answer.status_code)


def test_resident_still_reaches_the_public_pages_and_home(client, world, demand):
    client.force_login(world.users["resident"])
    assert client.get("/").status_code == 200
    assert client.get(reverse("intake:public_form")).status_code == 200
    assert client.get(reverse("intake:track", args=[demand.tracking_code])).status_code == 200
    assert client.get(reverse("core:notifications")).status_code == 200


def test_staff_pages_still_open_for_staff(client, world, demand):
    client.force_login(world.users["dispatcher"])
    assert client.get(reverse("intake:demand_list")).status_code == 200
    assert client.get(reverse("whistles:inbox")).status_code == 200


def test_filters_list_only_the_users_own_streets_and_units(client, world):
    from tests.factories import UnitFactory

    UnitFactory(code="XG-CG", name="兴谷街道城管科", kind="street_section", division=world.street_b)
    client.force_login(world.users["dispatcher"])
    html = client.get(reverse("intake:demand_list")).content.decode()
    assert world.street_a.name in html and world.street_b.name not in html
    html = client.get(reverse("whistles:whistle_list")).content.decode()
    assert world.street_b.name not in html
    assert "滨河街道城管科" in html and "区城管执法局" in html  # its own section, the district's departments
    assert "兴谷街道城管科" not in html and "朝阳区城管委" not in html
    # the type-ahead is scoped the same way
    html = client.get(reverse("whistles:unit_search"), {"q": "城管"}).content.decode()
    assert "滨河街道城管科" in html and "兴谷街道城管科" not in html
    # a coordinator sees every street of the district
    client.force_login(world.users["coordinator"])
    html = client.get(reverse("intake:demand_list")).content.decode()
    assert world.street_a.name in html and world.street_b.name in html


def test_unit_filter_accepts_a_picked_suggestion(client, world, whistle):
    client.force_login(world.users["dispatcher"])
    html = client.get(
        reverse("whistles:whistle_list"), {"unit": f"{world.lead_unit.code} {world.lead_unit.name}"}
    )
    assert f"/whistles/{whistle.pk}/" in html.content.decode()
    html = client.get(reverse("whistles:whistle_list"), {"unit": world.section_a.code})
    assert f"/whistles/{whistle.pk}/" not in html.content.decode()
