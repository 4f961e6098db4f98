"""Notification texts in no language yet: a message id (the English source, with %(name)s placeholders) and its
values, rendered in the reader's language when the bell is shown (one language per page), and in both
languages in an e-mail (the recipient's language is not known).

Values under keys starting with "t_" are message ids themselves (a state, a decision) and are translated too;
the others (names, codes, numbers) are shown as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


@dataclass(frozen=True)
class Msg:
    message: str  # wrap the literal in gettext_noop at the call site so it reaches the catalog
    params: dict = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        return render(self.message, self.params, language)


def msg(message: str, **params) -> Msg:
    return Msg(message, {k: (v if isinstance(v, int | float) else str(v)) for k, v in params.items()})


def render(message: str, params: dict | None, language: str | None = None) -> str:
    """`message` % `params` in `language` (default: the active one)."""
    if language:
        with translation.override(language):
            return render(message, params)
    params = params or {}
    values = {k: (translation.gettext(v) if k.startswith("t_") else v) for k, v in params.items()}
    try:
        return translation.gettext(message) % values
    except (KeyError, TypeError, ValueError):  # a catalog entry with a wrong placeholder: show the source
        return message % values if params else message


def render_html(message: str, params: dict | None):
    """Like `render`, as safe HTML: each value escaped; names, codes and texts (strings that are not message
    ids) wrapped in `<span data-user>` so a page in one language can tell them from its own words."""
    values = {
        k: (
            escape(translation.gettext(v))
            if k.startswith("t_")
            else (v if isinstance(v, int | float) else format_html("<span data-user>{}</span>", v))
        )
        for k, v in (params or {}).items()
    }
    try:
        return mark_safe(escape(translation.gettext(message)) % values)  # noqa: S308 - every part escaped
    except (KeyError, TypeError, ValueError):
        return escape(render(message, params))


def stored_text(text: str | Msg) -> str:
    """What the row's plain `text` keeps (searching, the admin, old readers): the default language."""
    return text.render(settings.LANGUAGE_CODE) if isinstance(text, Msg) else text


def email_text(text: str | Msg) -> str:
    """Both languages, the default first, when they differ."""
    if not isinstance(text, Msg):
        return text
    texts = [text.render(code) for code, _name in settings.LANGUAGES]
    return " / ".join(dict.fromkeys(texts))
