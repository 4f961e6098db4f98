"""Text normalisation shared by the classifier, place recognition (org.places) and duplicate detection.

Residents write in simplified or traditional characters, full-width or half-width, with emoji and
sometimes enormous pastes; everything downstream sees one canonical, bounded form.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from functools import lru_cache

# Long enough for any real demand's subject and the substance of its body (the median message is ~200
# characters), short enough that a 100,000-character paste costs no more than a normal demand.
MAX_CHARS = 2000

_SPACE = re.compile(r"\s+")
# Emoji, pictographs, variation selectors and other symbols that carry no routing signal.
_NOISE = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0000fe00-\U0000fe0f\U0000200b-\U0000200f\U0001f900-\U0001f9ff]"
)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str | None, *, limit: int = MAX_CHARS) -> str:
    """Simplified Chinese, NFKC (full-width → half-width), lower case, no emoji, single spaces."""
    if not text:
        return ""
    text = str(text)
    if _memo is not None:
        key = (text, limit)
        if key not in _memo:
            _memo[key] = _normalise(text, limit)
        return _memo[key]
    return _normalise(text, limit)


_memo: dict | None = None


def memo(key: tuple, compute):
    """`compute()`, remembered under `key` inside a `memoised()` block (e.g. a text's jieba words)."""
    if _memo is None:
        return compute()
    if key not in _memo:
        _memo[key] = compute()
    return _memo[key]


@contextmanager
def memoised():
    """Within the block, each distinct text is normalised once (cross-validation refits on the same texts)."""
    global _memo
    previous, _memo = _memo, {} if _memo is None else _memo
    try:
        yield
    finally:
        _memo = previous


def _normalise(text: str, limit: int) -> str:
    text = text[: limit * 2]  # cut before the expensive steps; NFKC may shorten, never much
    text = unicodedata.normalize("NFKC", text)
    text = _NOISE.sub(" ", text)
    text = _SPACE.sub(" ", text).strip().lower()[:limit]
    if not text:
        return ""
    return _converter().convert(text)


def join_text(subject: str | None, body: str | None) -> str:
    """Subject and body as one text; the subject first because it states the problem most densely."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if subject and body:
        return f"{subject}。{body}"
    return subject or body
