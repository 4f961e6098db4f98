"""Checking uploaded photos: type by content (not by the name the browser sent), size in bytes and in
pixels, generated name. Every upload path (the resident's form, the staff form, the API's demands and the
units' progress photos) goes through `checked_photo`, so the rules live here only.

The pixel limit stops decompression bombs: a small PNG can declare 60,000 × 60,000 pixels, and anything
that later decodes it (a thumbnail, a PDF export, a browser) would need gigabytes. Only the header is read
(by Pillow's reader for the sniffed type), never the pixels.

A refusal's `message` is "中文 / English" (the API's convention for errors); its `page_message` is in the
active language only, for the web pages (one language per page).
"""

from __future__ import annotations

import io
import struct
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError, WebPImagePlugin

from shaobao.core.errors import DomainError
from shaobao.intake.errors import refusal

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 9
# 50 megapixels: more than any phone camera's default output (12–50 MP), far below a bomb.
MAX_PHOTO_PIXELS = 50_000_000
SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"GIF87a": "gif", b"GIF89a": "gif"}


_READERS = {
    "jpg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}


def sniff(head: bytes) -> str | None:
    for magic, ext in SIGNATURES.items():
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _too_large(limit: int, field: str) -> DomainError:
    mb = limit // (1024 * 1024)
    return refusal(lambda: _("A photo may be at most %(mb)d MB.") % {"mb": mb}, field, "too_large")


def _not_an_image(field: str) -> DomainError:
    return refusal(lambda: _("Only JPEG, PNG, GIF or WebP images are accepted."), field, "not_an_image")


def image_size(data: bytes, ext: str) -> tuple[int, int] | None:
    """(width, height) read from the header only, or None when it is not a readable image of that type.

    The format's reader is called directly rather than through `Image.open`, which refuses huge images
    without saying their size; ours is the stricter limit, and the message names the size."""
    reader = _READERS[ext]
    try:
        with reader(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error):
        return None


def check_pixels(width: int, height: int, *, field: str = "photos") -> None:
    """Refuse an image declaring more pixels than MAX_PHOTO_PIXELS (setting; default 50 million)."""
    limit = getattr(settings, "MAX_PHOTO_PIXELS", MAX_PHOTO_PIXELS)
    if width * height > limit:
        values = {"width": width, "height": height, "mp": f"{limit / 1_000_000:g}"}
        raise refusal(
            lambda: (
                _(
                    "This image declares %(width)s × %(height)s pixels; at most %(mp)s million pixels are "
                    "accepted. Send a smaller photo."
                )
                % values
            ),
            field,
            "too_many_pixels",
        )


def checked_photo(upload, *, field: str = "photos") -> ContentFile:
    """A ContentFile with a generated name, or ValidationFailed (not an image, too many bytes or too
    many pixels)."""
    limit = getattr(settings, "MAX_PHOTO_BYTES", MAX_PHOTO_BYTES)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit, field)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    if len(data) > limit:
        raise _too_large(limit, field)
    ext = sniff(data[:16])
    if ext is None:
        raise _not_an_image(field)
    dimensions = image_size(data, ext)
    if dimensions is None:
        raise _not_an_image(field)
    check_pixels(*dimensions, field=field)
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}")


def checked_photos(uploads, *, field: str = "photos") -> list[ContentFile]:
    uploads = list(uploads or ())
    if len(uploads) > MAX_PHOTOS:
        raise refusal(lambda: _("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field, "too_many")
    return [checked_photo(u, field=field) for u in uploads]
