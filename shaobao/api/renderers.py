"""The API's JSON renderer, shared by the NinjaAPI instance (api.api) and the routers that render an
answer themselves (the hot intake path), so that no router imports the API that imports it."""

from __future__ import annotations

from ninja.renderers import JSONRenderer


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: readable with curl, and shorter."""

    json_dumps_params = {"ensure_ascii": False}


RENDERER = Utf8JSONRenderer()
