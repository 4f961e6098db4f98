"""Fetching a request's `media_url` safely, in the worker, into a photo of the demand.

A URL sent by an outside client is an invitation to make the server call somewhere (SSRF). So:
- http or https only, no user name or password in the URL, ports 80/443/8080/8443 (setting
  OPEN311_MEDIA_PORTS);
- the host is resolved once and every address it resolves to must be a public one: private (10/8,
  172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 — cloud metadata —, fe80::/10),
  multicast, reserved, unspecified and shared (100.64/10) addresses are refused; the connection is then
  made to the checked address itself (the Host header and TLS name are the URL's), so a second DNS answer
  cannot point it elsewhere (DNS rebinding);
- redirects are followed at most 3 times, each target checked the same way;
- a timeout on connecting and on each read (OPEN311_MEDIA_TIMEOUT, 10 s) and on the whole fetch;
- at most OPEN311_MEDIA_MAX_BYTES (default: the photos' limit, 8 MB): a larger Content-Length is refused
  before reading, and reading stops one byte past the limit;
- the Content-Type must be an image type, and the bytes must then pass the photos' own checks
  (`intake.uploads.checked_photo`: type by content, size in pixels).

`MediaRefused` is final (recorded, never retried); `MediaUnavailable` (timeouts, 5xx, connection errors)
is retried by the task. Tests allow their local server with OPEN311_MEDIA_ALLOW_NETWORKS.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile

from shaobao.core.errors import DomainError
from shaobao.intake.uploads import MAX_PHOTO_BYTES, checked_photo

IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/gif", "image/webp"})
MAX_REDIRECTS = 3
DEFAULT_PORTS = (80, 443, 8080, 8443)


class MediaRefused(Exception):
    """The URL or what it answered is not acceptable; fetching again would not help."""


class MediaUnavailable(Exception):
    """The server could not be reached or failed; worth retrying later."""


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_bytes() -> int:
    return int(_setting("OPEN311_MEDIA_MAX_BYTES", getattr(settings, "MAX_PHOTO_BYTES", MAX_PHOTO_BYTES)))


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL, or MediaRefused."""
    if len(url) > 1000:
        raise MediaRefused("URL too long (at most 1000 characters)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MediaRefused("not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise MediaRefused("only http and https URLs are accepted")
    if parts.username or parts.password:
        raise MediaRefused("a URL with a user name or password is not accepted")
    host = parts.hostname
    if not host:
        raise MediaRefused("the URL has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    if port not in tuple(_setting("OPEN311_MEDIA_PORTS", DEFAULT_PORTS)) and not _allowed_host(host):
        raise MediaRefused(f"port {port} is not accepted")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, host, port, path


def _allowed_networks():
    return [ipaddress.ip_network(n) for n in _setting("OPEN311_MEDIA_ALLOW_NETWORKS", ())]


def _allowed_host(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in _allowed_networks())


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return True
    return (
        not (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
            or ip in ipaddress.ip_network("100.64.0.0/10")
        )
        and ip.is_global
    )


def resolve_public(host: str, port: int) -> str:
    """The first address of `host`, once every address it resolves to is public; else MediaRefused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise MediaUnavailable(f"host {host} could not be resolved") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise MediaUnavailable(f"host {host} has no address")
    for ip in addresses:
        if not is_public(ip):
            raise MediaRefused(f"{host} resolves to an internal address ({ip}); refused")
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str) -> tuple[bytes, str]:
    """The body and content type of an image at `url`, under the rules above."""
    timeout = float(_setting("OPEN311_MEDIA_TIMEOUT", 10))
    deadline = time.monotonic() + 3 * timeout
    limit = max_bytes()
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = check_url(url)
        ip = resolve_public(host, port)
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = cls(host, port, ip, timeout)
        try:
            conn.request("GET", path, headers={"User-Agent": "Shaobao-Open311/1", "Accept": "image/*"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise MediaRefused(f"redirect {response.status} without a location")
                url = urljoin(url, location)
                continue
            if response.status >= 500 or response.status == 429:
                raise MediaUnavailable(f"the server answered {response.status}")
            if response.status != 200:
                raise MediaRefused(f"the server answered {response.status}")
            content_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            if content_type not in IMAGE_TYPES:
                raise MediaRefused(f"not an image (Content-Type {content_type or 'missing'})")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise MediaRefused(f"too large: {int(length)} bytes, at most {limit}")
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise MediaUnavailable("the download took too long")
                chunk = response.read(min(65536, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise MediaRefused(f"too large: more than {limit} bytes")
            return b"".join(chunks), content_type
        except (http.client.HTTPException, OSError) as exc:  # timeouts, refused connections, TLS errors
            raise MediaUnavailable(f"could not fetch: {exc.__class__.__name__}") from None
        finally:
            conn.close()
    raise MediaRefused(f"more than {MAX_REDIRECTS} redirects")


def fetch_photo(url: str) -> ContentFile:
    data, _type = fetch(url)
    try:
        return checked_photo(data, field="media_url")
    except DomainError as exc:
        raise MediaRefused(f"not an acceptable image: {exc.message}") from None
