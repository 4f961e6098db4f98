"""Uploaded files (photos of demands and of progress notes) are served only to those who may see what
they belong to — never as public static files: a resident's photo can show a face, a door, a number plate.

Each app that stores files registers, for its upload folder, a check `check(user, name)` that raises
NotFound/Forbidden unless the user may see the object the file `name` belongs to (intake: the demand;
whistles: the progress note's summons). A file under no registered folder is not served. The view
(`core.views.media`) streams from `default_storage`, so the same URL works on the local disk; on object
storage (MEDIA_STORAGE=s3, docs/scale.md) files are read through django-storages too.
"""

from __future__ import annotations

from collections.abc import Callable

from shaobao.core.errors import NotFound

_owners: dict[str, Callable] = {}


def register(folder: str, check: Callable) -> None:
    """`folder` (e.g. "demands/") holds files whose access `check(user, name)` decides."""
    _owners[folder.rstrip("/") + "/"] = check


def check_access(user, name: str) -> None:
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise NotFound("文件不存在 / File not found")
    for folder, check in _owners.items():
        if name.startswith(folder):
            check(user, name)
            return
    raise NotFound("文件不存在 / File not found")
