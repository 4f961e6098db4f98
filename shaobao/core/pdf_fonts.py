"""The Chinese font of the PDF exports, chosen in one place.

A TrueType CJK font found on the machine (``PDF_FONT_PATH``, else a few well-known system paths) is
embedded as a subset, so the PDF reads the same in any viewer. Without one, reportlab's built-in CID font
STSong-Light is used: it needs no file but is not embedded, so the viewer must supply a Chinese font (every
common viewer does; Debian's poppler substitutes WenQuanYi or Noto CJK).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

FALLBACK = "STSong-Light"
EMBEDDED = "ShaobaoCJK"
# TrueType outlines only: reportlab cannot embed CFF-based OpenType (e.g. Noto Sans CJK's .ttc).
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


def candidate_paths() -> list[str]:
    configured = getattr(settings, "PDF_FONT_PATH", "")
    return ([configured] if configured else []) + list(SYSTEM_FONTS)


@functools.cache
def pdf_font_name() -> str:
    """Register and return the font name to use in reportlab styles (cached per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in candidate_paths():
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED, path, subfontIndex=0))
        except Exception as exc:  # a broken or CFF font file: try the next one
            log.warning("PDF font %s not usable: %s", path, exc)
            continue
        return EMBEDDED
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK
