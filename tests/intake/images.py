"""Crafted image bytes for upload tests: a PNG declaring any size (header only, tiny payload)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 1, height: int = 1) -> bytes:
    """A PNG whose header declares width × height (8-bit greyscale); the pixel data is a few bytes only,
    as in a decompression bomb: reading the size must never decode it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) if width * height <= 4096 else b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
