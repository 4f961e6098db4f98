"""A request's media_url, fetched by the worker into a photo of the demand: never from an internal
address, only an image, never more than the limit; a failing server is retried. Served by a local test
HTTP server (allowed for the tests that need it through OPEN311_MEDIA_ALLOW_NETWORKS)."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from shaobao.api.models_open311 import MediaState, Open311Request
from shaobao.api.open311 import media
from shaobao.api.open311.tasks import store_media
from shaobao.intake.models import DemandPhoto
from tests.open311.conftest import post

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        routes = {
            "/ok.png": (200, "image/png", png()),
            "/html": (200, "text/html", b"<html>hello</html>"),
            "/fake.png": (200, "image/png", b"not an image at all"),
            "/big.png": (200, "image/png", png() + b"\0" * 5000),
            "/500": (500, "text/plain", b"down"),
        }
        if self.path == "/to-metadata":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        if self.path == "/to-ok":
            self.send_response(301)
            self.send_header("Location", "/ok.png")
            self.end_headers()
            return
        if self.path == "/endless.png":  # no Content-Length: the reader must stop at the limit
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png() + b"\0" * 5000)
            return
        status, kind, body = routes.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allow_local(settings):
    settings.OPEN311_MEDIA_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.OPEN311_MEDIA_MAX_BYTES = 2000
    settings.OPEN311_MEDIA_TIMEOUT = 5


def request_with(world, api_key, url) -> Open311Request:
    response = post(
        "requests",
        {
            "api_key": api_key("resident"),
            "service_code": "CG-001",
            "lat": "40.145",
            "long": "117.105",
            "media_url": url,
        },
    )
    assert response.status_code == 201, response.content
    return Open311Request.objects.get(demand__tracking_code=response.json()[0]["service_request_id"])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/x.png",
        "http://192.168.1.1/x.png",
        "http://[::1]/x.png",
        "http://[::ffff:127.0.0.1]/x.png",
        "http://100.64.0.1/x.png",
        "http://0.0.0.0/x.png",
    ],
)
def test_internal_addresses_are_refused_without_connecting(world, api_key, url):
    record = request_with(world, api_key, url)
    assert store_media(record.pk) == MediaState.REFUSED
    record.refresh_from_db()
    assert "internal address" in record.media_error
    assert not DemandPhoto.objects.exists()


def test_the_local_server_is_refused_by_default(world, api_key, server, settings):
    settings.OPEN311_MEDIA_PORTS = [int(server.rsplit(":", 1)[1])]
    record = request_with(world, api_key, f"{server}/ok.png")
    assert store_media(record.pk) == MediaState.REFUSED
    assert not DemandPhoto.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x.png", "http://user:pw@example.org/x.png", "http://example.org:22/x"]
)
def test_bad_urls_are_refused_at_once(world, api_key, url):
    response = post(
        "requests",
        {
            "api_key": api_key("resident"),
            "service_code": "CG-001",
            "lat": "40.145",
            "long": "117.105",
            "media_url": url,
        },
    )
    assert response.status_code == 400
    assert not Open311Request.objects.exists()


def test_an_image_is_stored_as_a_photo_of_the_demand(
    world, api_key, server, allow_local, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = request_with(world, api_key, f"{server}/to-ok")  # through a redirect
    record.refresh_from_db()
    assert record.media_state == MediaState.STORED, record.media_error
    [photo] = DemandPhoto.objects.filter(demand=record.demand)
    assert photo.image.read() == png()
    assert photo.uploaded_by == world.users["resident"]
    assert store_media(record.pk) == MediaState.STORED  # a second run stores nothing more
    assert DemandPhoto.objects.count() == 1


@pytest.mark.parametrize(
    "path,reason",
    [
        ("/html", "not an image"),
        ("/fake.png", "not an acceptable image"),
        ("/big.png", "too large"),
        ("/endless.png", "too large"),
        ("/to-metadata", "internal address"),
        ("/missing.png", "404"),
    ],
)
def test_wrong_type_oversized_and_redirects_inside_are_refused(
    world, api_key, server, allow_local, path, reason
):
    record = request_with(world, api_key, f"{server}{path}")
    assert store_media(record.pk) == MediaState.REFUSED
    record.refresh_from_db()
    assert reason in record.media_error
    assert not DemandPhoto.objects.exists()


def test_a_failing_server_is_retried(world, api_key, server, allow_local):
    record = request_with(world, api_key, f"{server}/500")
    with pytest.raises(media.MediaUnavailable):
        store_media(record.pk)  # raised: huey retries the task (retries=3, backoff)
    record.refresh_from_db()
    assert record.media_state == MediaState.FAILED and "500" in record.media_error
    record.media_url = f"{server}/ok.png"  # the server recovers
    record.save()
    assert store_media(record.pk) == MediaState.STORED


def test_the_fetch_times_out(world, api_key, allow_local, settings):
    import socket

    settings.OPEN311_MEDIA_TIMEOUT = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        with pytest.raises(media.MediaUnavailable):
            media.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/slow.png")
    finally:
        listener.close()
