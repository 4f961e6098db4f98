"""Static files with content-hashed names (WhiteNoise's compressed manifest storage), for `make run`.

`make run` collects the static files first (`collectstatic`), so pages link `app.3f2a9c.js`, served
compressed with far-future caching. A process started without collecting (a benchmark, a one-off command
rendering a page) links the plain names instead of failing on the missing manifest.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # never collected: no manifest
            return name
        return super().stored_name(name)
