"""The organisation admin works (in zh-hans, the default language) for an administrator."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from shaobao.org.models import Grid
from tests.factories import square

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ["division", "grid", "unit", "user", "membership"])
def test_changelists_render_in_chinese(admin_client, model):
    response = admin_client.get(reverse(f"admin:org_{model}_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_admin_labels_are_chinese_by_default_and_english_on_request(admin_client):
    url = reverse("admin:org_division_changelist")
    body = admin_client.get(url).content.decode()
    assert "选择 行政区划 来修改" in body and "区县" in body
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Select division to change" in english


def test_division_search_by_code_and_filter_by_level(admin_client, world):
    url = reverse("admin:org_division_changelist")
    body = admin_client.get(url, {"q": "110117001"}).content.decode()
    assert '"field-name">滨河街道<' in body and '"field-name">兴谷街道<' not in body
    body = admin_client.get(url, {"level__exact": "community"}).content.decode()
    assert '"field-name">承平里社区<' in body and '"field-name">滨河街道<' not in body


def test_user_page_shows_memberships_inline(admin_client, world):
    user = world.users["dispatcher"]
    body = admin_client.get(reverse("admin:org_user_change", args=[user.pk])).content.decode()
    assert "memberships-TOTAL_FORMS" in body and "滨河街道" in body


def test_unit_filter_by_kind(admin_client, world):
    body = admin_client.get(reverse("admin:org_unit_changelist"), {"kind__exact": "street_section"}).content
    assert "滨河街道城管科" in body.decode() and "区城管执法局" not in body.decode()


def grid_form(world, geometry):
    return {
        "code": "G-NEW",
        "name": "新网格",
        "community": world.community_a1.pk,
        "geometry": json.dumps(geometry),
        "is_sample": "on",
    }


def test_adding_a_grid_validates_geometry_and_sets_bbox(admin_client, world):
    url = reverse("admin:org_grid_add")
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[117, 40], [117.1, 40.1], [117.1, 40], [117, 40.1], [117, 40]]],
    }
    response = admin_client.post(url, grid_form(world, bowtie))
    assert response.status_code == 200 and "Self-intersection" in response.content.decode()
    assert not Grid.objects.filter(code="G-NEW").exists()

    response = admin_client.post(url, grid_form(world, square(117.2, 40.2, 0.05)))
    assert response.status_code == 302
    grid = Grid.objects.get(code="G-NEW")
    assert (grid.min_lng, grid.max_lat) == (117.2, 40.25)


def test_a_grid_must_belong_to_a_community(admin_client, world):
    data = grid_form(world, square(117.2, 40.2)) | {"community": world.street_a.pk}
    response = admin_client.post(reverse("admin:org_grid_add"), data)
    assert response.status_code == 200 and not Grid.objects.filter(code="G-NEW").exists()


def test_selected_grids_export_as_geojson(admin_client, world):
    response = admin_client.post(
        reverse("admin:org_grid_changelist"),
        {"action": "export_geojson", "_selected_action": [world.grid_a1.pk]},
    )
    assert response.status_code == 200
    assert "grids.geojson" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [f["properties"]["code"] for f in data["features"]] == ["G-A1-01"]
    assert data["features"][0]["properties"]["community"] == world.community_a1.code
