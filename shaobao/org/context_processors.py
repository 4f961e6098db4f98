"""Template context of the org app: the area (district or city) a multi-area user acts in, for the
top bar's picker (org.acting)."""

from __future__ import annotations

from shaobao.org import scoping


def acting(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scoping.acting_key(user)
    if len(getattr(user, "_shaobao_areas", ()) or ()) <= 1:
        return {}
    areas = scoping.areas_of(user)
    return {"acting_areas": areas, "acting_current": next((a for a in areas if a.current), None)}
