"""The secret key when SECRET_KEY is not set: generated at first start, kept in the var directory.

The file is created readable by its owner only (0600) and atomically (written to a private temporary file,
then linked into place), so that the web server's workers and the background worker starting together
all read the same key and none ever reads a half-written one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def load_or_create(var_dir: Path) -> str:
    path = Path(var_dir) / FILE_NAME
    try:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        try:
            os.link(tmp, path)  # fails when another process got there first: use its key
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key
