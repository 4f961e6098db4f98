"""Refusals worded for both audiences: the API's "中文 / English" message and the page's one language.

`message` keeps the API's convention (every error message is "中文 / English"); `page_message` is in the
active language only, and the web pages show that (`intake.views.error_text`), one language per page.
"""

from __future__ import annotations

from django.utils.translation import override

from shaobao.core.errors import DomainError, ValidationFailed


def refusal(text, field: str, code: str, error: type[DomainError] = ValidationFailed) -> DomainError:
    """An error (ValidationFailed unless told) whose message is "中文 / English" and whose `page_message` is in the active
    language; `text()` builds the message in the language active when called."""
    with override("zh-hans"):
        zh = text()
    with override("en"):
        en = text()
    exc = error(f"{zh} / {en}", fields={field: code} if field else None, code=None if field else code)
    exc.page_message = text()
    return exc
