"""The resident's form (no login, honeypot, rate limit) and the public tracking page."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from shaobao.intake.models import Demand
from tests.web.conftest import REPORTER_NAME, REPORTER_PHONE

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "complaint",
    "subject": "楼道堆放杂物",
    "body": "5号楼2单元楼道堆满了纸箱，有火灾隐患",
    "reporter_name": "王五",
    "reporter_phone": "13700002222",
    "address": "承平里5号楼",
    "lat": "40.145",
    "lng": "117.105",
}


def test_public_form_needs_no_login(client):
    response = client.get(reverse("intake:public_form"))
    assert response.status_code == 200
    assert 'name="website"' in response.content.decode()  # the honeypot is in the page


def test_resident_submits_and_sees_tracking_code(client, world):
    response = client.post(reverse("intake:public_form"), FORM, follow=True)
    assert response.status_code == 200 and response.redirect_chain  # Post/Redirect/Get
    demand = Demand.objects.get(subject=FORM["subject"])
    assert demand.channel == "resident_web"
    assert demand.tracking_code in response.content.decode()
    assert demand.grid == world.grid_a1  # placed from the clicked point


def test_filled_honeypot_fakes_success_and_stores_nothing(client, world):
    response = client.post(
        reverse("intake:public_form"), {**FORM, "website": "http://spam.example"}, follow=True
    )
    assert response.status_code == 200
    assert 'id="tracking-code"' in response.content.decode()
    assert not Demand.objects.exists()


def test_invalid_form_is_shown_again(client, world):
    response = client.post(reverse("intake:public_form"), {**FORM, "reporter_phone": ""})
    assert response.status_code == 200
    assert not Demand.objects.exists()
    assert 'class="errorlist' in response.content.decode()


@override_settings(PUBLIC_FORM_RATE=(5, 600))
def test_sixth_submission_from_one_ip_within_ten_minutes_gets_429(client, world):
    for i in range(5):
        assert client.post(reverse("intake:public_form"), {**FORM, "subject": f"问题{i}"}).status_code == 302
    response = client.post(reverse("intake:public_form"), {**FORM, "subject": "问题6"})
    assert response.status_code == 429
    assert "请稍后再试" in response.content.decode()
    assert Demand.objects.count() == 5
    # another address is not affected
    other = client.post(reverse("intake:public_form"), {**FORM, "subject": "别处"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_tracking_page_shows_progress_but_no_personal_data(client, demand, whistle):
    response = client.get(reverse("intake:track", args=[demand.tracking_code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert demand.tracking_code in html
    assert "吹哨" in html  # the whistle step is shown
    for secret in (REPORTER_NAME, REPORTER_PHONE, demand.address, "dispatcher"):
        assert secret not in html


def test_tracking_lookup_redirects_and_unknown_code_is_404(client, demand):
    response = client.get(reverse("intake:track_lookup"), {"code": demand.tracking_code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:track", args=[demand.tracking_code])
    assert client.get(reverse("intake:track", args=["SB000000XXXXX"])).status_code == 404


def _png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def test_resident_uploads_a_photo_and_a_non_image_is_refused(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path

    photo = SimpleUploadedFile("scene.png", _png(), content_type="image/png")
    client.post(reverse("intake:public_form"), {**FORM, "photos": [photo]})
    demand = Demand.objects.get()
    assert demand.photos.count() == 1
    assert not demand.photos.get().image.name.endswith("scene.png")  # stored under a generated name
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00not an image", content_type="image/png")
    response = client.post(reverse("intake:public_form"), {**FORM, "subject": "另一个", "photos": [fake]})
    assert response.status_code == 200
    assert Demand.objects.count() == 1
    assert "JPEG" in response.content.decode()  # the action's message is shown on the form


@override_settings(PUBLIC_TRACK_RATE=(3, 600))
def test_tracking_look_ups_are_rate_limited(client, demand):
    url = reverse("intake:track", args=[demand.tracking_code])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert client.get(url).status_code == 429


def test_signed_in_resident_reports_through_the_same_form(client, world):
    client.force_login(world.users["resident"])
    client.post(reverse("intake:public_form"), FORM)
    demand = Demand.objects.get()
    assert demand.created_by == world.users["resident"] and demand.channel == "resident_web"
