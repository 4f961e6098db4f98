"""Error pages speak the page's language and keep the site's frame (DEBUG is off by default)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_missing_page_answers_404_in_chinese_by_default(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and "Not Found" not in body and "urlpatterns" not in body.lower()


def test_a_missing_page_answers_404_in_english_when_asked(client):
    response = client.get("/no-such-page/", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_server_error_shows_our_page_without_details(settings):
    from django.urls import path

    def boom(request):
        raise RuntimeError("secret detail")

    urls = type("urls", (), {"urlpatterns": [path("boom/", boom)]})
    settings.ROOT_URLCONF = urls
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器错误" in body and "secret detail" not in body
