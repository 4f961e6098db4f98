"""Decompression bombs are refused on every web upload path, with the reason in the page's language and
everything the resident typed kept; reloading the thank-you page files nothing twice (PRG)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shaobao.core.errors import ValidationFailed
from shaobao.intake.models import Demand
from shaobao.intake.uploads import checked_photo
from shaobao.whistles.models import ProgressNote
from tests.intake.flow import blow, lead_of, new_demand
from tests.intake.images import png

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


def bomb() -> SimpleUploadedFile:
    return SimpleUploadedFile("bomb.png", png(60_000, 60_000), content_type="image/png")


def test_the_pixel_count_is_read_from_the_header_and_a_bomb_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        checked_photo(bomb())
    assert caught.value.fields == {"photos": "too_many_pixels"}
    assert len(png(60_000, 60_000)) < 200  # the file itself is tiny
    assert checked_photo(SimpleUploadedFile("ok.png", png(4000, 3000))).name.endswith(".png")


def test_the_pixel_limit_is_a_setting(settings):
    settings.MAX_PHOTO_PIXELS = 1_000_000
    with pytest.raises(ValidationFailed):
        checked_photo(SimpleUploadedFile("big.png", png(2000, 1000)))
    checked_photo(SimpleUploadedFile("ok.png", png(1000, 1000)))


@pytest.mark.parametrize(
    ("language", "reason"), [("zh-hans", "百万像素"), ("en", "million pixels are accepted")]
)
def test_resident_form_refuses_a_bomb_keeps_what_was_typed_and_says_why(
    client, world, settings, tmp_path, language, reason
):
    settings.MEDIA_ROOT = tmp_path
    client.cookies["django_language"] = language
    response = client.post(
        reverse("intake:public_form"), {**FORM, "photos": [bomb()]}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert not Demand.objects.exists()
    page = response.content.decode()
    assert reason in page and "60000 × 60000" in page
    for field in ("subject", "body", "reporter_name", "reporter_phone", "address"):
        assert FORM[field] in page
    assert 'value="40.145"' in page and 'value="117.105"' in page  # the map point too
    assert "too_many_pixels" not in page  # no raw codes


def test_staff_form_refuses_a_bomb_and_keeps_the_input(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["dispatcher"])
    data = {**FORM, "channel": "hotline_12345", "urgency": "normal", "street_code": world.street_a.code}
    response = client.post(reverse("intake:new_demand"), {**data, "photos": [bomb()]})
    assert response.status_code == 400
    assert not Demand.objects.exists()
    page = response.content.decode()
    assert "百万像素" in page and FORM["body"] in page and FORM["reporter_phone"] in page


def test_progress_photo_bomb_is_refused_on_the_whistle_page(client, world, settings, tmp_path):
    from shaobao.whistles import actions as wf

    settings.MEDIA_ROOT = tmp_path
    lead = lead_of(blow(world, [new_demand(world)]))
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    client.force_login(world.users["lead_handler"])
    url = reverse("whistles:progress", args=[lead.pk])
    response = client.post(url, {"note": "现场照片", "photo": bomb()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "million pixels" in response.content.decode()
    assert not ProgressNote.objects.exists()
    ok = SimpleUploadedFile("site.png", png(640, 480), content_type="image/png")
    client.post(url, {"note": "现场照片", "photo": ok})
    assert ProgressNote.objects.get().photo.name.endswith(".png")


def test_reloading_the_thank_you_page_files_nothing_twice(client, world):
    response = client.post(reverse("intake:public_form"), FORM)
    assert response.status_code == 302 and response["Location"] == reverse("intake:public_thanks")
    demand = Demand.objects.get()
    for _ in range(3):  # the resident reloads the page
        page = client.get(reverse("intake:public_thanks"))
        assert page.status_code == 200 and demand.tracking_code in page.content.decode()
    assert Demand.objects.count() == 1


def test_thank_you_page_without_a_filed_demand_goes_to_the_form(client):
    response = client.get(reverse("intake:public_thanks"))
    assert response.status_code == 302 and response["Location"] == reverse("intake:public_form")
