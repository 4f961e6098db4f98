"""Checking uploaded photos: type by content (not by the name the browser sent), size, generated name."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile

from shaobao.core.errors import ValidationFailed

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 9
SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"GIF87a": "gif", b"GIF89a": "gif"}


def sniff(head: bytes) -> str | None:
    for magic, ext in SIGNATURES.items():
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def checked_photo(upload, *, field: str = "photos") -> ContentFile:
    """A ContentFile with a generated name, or ValidationFailed (type not an image, too large)."""
    limit = getattr(settings, "MAX_PHOTO_BYTES", MAX_PHOTO_BYTES)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationFailed(
            f"照片不能超过 {limit // (1024 * 1024)} MB / A photo may be at most {limit // (1024 * 1024)} MB",
            fields={field: "too_large"},
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    if len(data) > limit:
        raise ValidationFailed("照片过大 / Photo too large", fields={field: "too_large"})
    ext = sniff(data[:16])
    if ext is None:
        raise ValidationFailed(
            "只接受 JPEG、PNG、GIF、WebP 图片 / Only JPEG, PNG, GIF or WebP images are accepted",
            fields={field: "not_an_image"},
        )
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}")


def checked_photos(uploads, *, field: str = "photos") -> list[ContentFile]:
    uploads = list(uploads or ())
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(
            f"最多上传 {MAX_PHOTOS} 张照片 / At most {MAX_PHOTOS} photos", fields={field: "too_many"}
        )
    return [checked_photo(u, field=field) for u in uploads]
