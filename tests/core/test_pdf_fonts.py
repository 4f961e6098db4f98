"""The PDF exports' Chinese font: embedded when a TrueType CJK font is found, else the built-in CID font."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from shaobao.core import pdf_fonts

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # installed by `make browser` (make test)


@pytest.fixture(autouse=True)
def fresh_choice():
    pdf_fonts.pdf_font_name.cache_clear()
    yield
    pdf_fonts.pdf_font_name.cache_clear()


def draw(font: str, text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.setFont(font, 12)
    c.drawString(72, 720, text)
    c.save()
    return buffer.getvalue()


def test_without_a_font_file_the_builtin_cid_font_is_used(settings, monkeypatch, tmp_path):
    settings.PDF_FONT_PATH = str(tmp_path / "missing.ttf")
    monkeypatch.setattr(pdf_fonts, "SYSTEM_FONTS", ())
    assert pdf_fonts.pdf_font_name() == "STSong-Light"
    assert b"STSong-Light" in draw("STSong-Light", "街乡吹哨")


def test_a_broken_font_file_is_passed_over(settings, monkeypatch, tmp_path):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    settings.PDF_FONT_PATH = str(bad)
    monkeypatch.setattr(pdf_fonts, "SYSTEM_FONTS", ())
    assert pdf_fonts.pdf_font_name() == "STSong-Light"


@pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-microhei is installed by `make test`")
def test_a_truetype_cjk_font_is_embedded(settings):
    settings.PDF_FONT_PATH = str(WQY)
    name = pdf_fonts.pdf_font_name()
    assert name == pdf_fonts.EMBEDDED
    pdf = draw(name, "街乡吹哨、部门报到")
    assert b"/FontFile2" in pdf  # the glyphs travel with the file
    # Only the glyphs used are embedded: far smaller than the 5 MB collection.
    assert len(pdf) < 200_000
