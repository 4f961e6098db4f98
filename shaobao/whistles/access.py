"""Fetch one whistle or summons for a user, or raise NotFound outside the user's scope."""

from __future__ import annotations

from shaobao.core.errors import NotFound
from shaobao.org.access import require_member
from shaobao.whistles.models import ExtensionRequest, Summons, Whistle


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} not found") from None


def access_whistle(user, whistle_id) -> Whistle:
    require_member(user)
    pk = _pk(whistle_id, "Whistle")
    whistle = (
        Whistle.objects.visible_to(user).select_related("street", "matter", "blown_by").filter(pk=pk).first()
    )
    if whistle is None:
        raise NotFound(f"吹哨 {whistle_id} 不存在 / Whistle {whistle_id} not found")
    return whistle


def access_summons(user, summons_id) -> Summons:
    require_member(user)
    pk = _pk(summons_id, "Summons")
    summons = (
        Summons.objects.visible_to(user)
        .select_related("whistle", "whistle__street", "whistle__matter", "unit")
        .filter(pk=pk)
        .first()
    )
    if summons is None:
        raise NotFound(f"报到单 {summons_id} 不存在 / Summons {summons_id} not found")
    return summons


def access_extension(user, extension_id) -> ExtensionRequest:
    require_member(user)
    pk = _pk(extension_id, "Extension")
    ext = ExtensionRequest.objects.select_related("summons").filter(pk=pk).first()
    if ext is None or not Summons.objects.visible_to(user).filter(pk=ext.summons_id).exists():
        raise NotFound(f"延期申请 {extension_id} 不存在 / Extension request {extension_id} not found")
    return ext


def lock_summons(user, summons_id) -> tuple[Whistle, Summons]:
    """Inside a transaction: check access, then lock the whistle and the summons (always in that order,
    so that actions on one whistle serialise and cannot deadlock)."""
    summons = access_summons(user, summons_id)
    whistle = Whistle.objects.select_for_update().get(pk=summons.whistle_id)
    locked = Summons.objects.select_for_update().get(pk=summons.pk)
    return whistle, locked


def lock_whistle(user, whistle_id) -> Whistle:
    whistle = access_whistle(user, whistle_id)
    return Whistle.objects.select_for_update().get(pk=whistle.pk)


def check_note_photo(user, name: str) -> None:
    """core.media: a progress note's photo to whoever may see its summons."""
    from shaobao.whistles.models import ProgressNote

    note = ProgressNote.objects.filter(photo=name).only("summons_id").first()
    if note is None:
        raise NotFound("文件不存在 / File not found")
    access_summons(user, note.summons_id)
