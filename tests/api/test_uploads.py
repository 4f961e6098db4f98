"""The API's multipart progress photo refuses decompression bombs with a clear error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shaobao.whistles.models import ProgressNote
from tests.api.conftest import ApiClient, assert_error
from tests.api.test_workflow import blow, ok, receive, summons_of
from tests.intake.images import png

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_progress_photo_bomb_is_refused(world, api_as, settings, tmp_path, language):
    settings.MEDIA_ROOT = tmp_path
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    ok(lead.post(f"/api/v1/summons/{summons['id']}/report-in"))
    client: ApiClient = lead
    response = client.client.post(
        f"/api/v1/summons/{summons['id']}/progress/photo",
        {"note": "现场", "photo": SimpleUploadedFile("b.png", png(60_000, 60_000), content_type="image/png")},
        headers={**client.headers, "Accept-Language": language},
    )
    assert response.status_code == 400
    error = assert_error(response, 400)
    assert error["fields"] == {"photo": "too_many_pixels"}
    assert "百万像素" in error["message"] and "million pixels" in error["message"]  # 中文 / English
    assert not ProgressNote.objects.exists()
