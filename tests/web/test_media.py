"""Uploaded photos are served only to those who may see what they belong to — a resident's photo is never a
public file (it served nothing at all with DEBUG off before: Django's static() helper is for development)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shaobao.intake.models import DemandPhoto
from shaobao.whistles.models import ProgressNote
from tests.intake.flow import blow, lead_of, new_demand
from tests.intake.images import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = False
    return tmp_path


def as_user(world, name):
    c = Client()
    c.force_login(world.users[name])
    return c


def test_a_demands_photo_goes_to_those_who_see_the_demand_only(world, media_root):
    demand = new_demand(world)  # street A
    photo = DemandPhoto.objects.create(
        demand=demand, image=SimpleUploadedFile("door.png", png(40, 30), content_type="image/png")
    )
    url = photo.image.url
    assert url.startswith("/media/demands/")
    got = as_user(world, "dispatcher").get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content) == (media_root / photo.image.name).read_bytes()
    assert "private" in got["Cache-Control"] and got["X-Content-Type-Options"] == "nosniff"
    assert as_user(world, "coordinator").get(url).status_code == 200
    assert as_user(world, "dispatcher_b").get(url).status_code == 404  # another street's demand
    assert as_user(world, "outsider").get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_progress_notes_photo_goes_to_those_who_see_the_summons(world, media_root):
    summons = lead_of(blow(world))
    note = ProgressNote.objects.create(
        summons=summons,
        author=world.users["lead_handler"],
        note="现场已拆除",
        photo=SimpleUploadedFile("done.png", png(20, 20), content_type="image/png"),
    )
    url = note.photo.url
    assert as_user(world, "lead_handler").get(url).status_code == 200
    assert as_user(world, "dispatcher").get(url).status_code == 200  # the street that blew the whistle
    assert as_user(world, "outsider").get(url).status_code == 404


def test_nothing_else_under_media_is_served(world, media_root):
    (media_root / "secret.txt").write_text("x")
    (media_root / "demands").mkdir()
    (media_root / "demands" / "orphan.png").write_bytes(png(5, 5))
    c = as_user(world, "coordinator")
    assert c.get("/media/secret.txt").status_code == 404  # no app owns it
    assert c.get("/media/demands/orphan.png").status_code == 404  # no demand owns it
    assert c.get("/media/demands/../secret.txt").status_code == 404
