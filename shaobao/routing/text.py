"""Text normalisation now lives in `shaobao.core.text` (place recognition in org uses it too); re-exported."""

from shaobao.core.text import MAX_CHARS, join_text, memo, memoised, normalise

__all__ = ["MAX_CHARS", "join_text", "memo", "memoised", "normalise"]
