"""The coordination board's forces view (/platform/forces/): one panel per app of forces sent down.

Each entry is (template, context function path); the function is called as `fn(user, district)` (or
`fn(user)` when it requires one argument) and answers the template's context. Forces' own panel is here; the village work teams' and the check-ins'
panels are added by appending their line."""

from __future__ import annotations

import inspect

from django.utils.module_loading import import_string

# A panel template reads its context as `panel` (e.g. `panel.forces_coverage`).
FORCES_PANELS: list[tuple[str, str]] = [
    ("forces/_board_panel.html", "shaobao.forces.selectors.board_panel"),
    ("workteams/_board_panel.html", "shaobao.workteams.selectors.board_panel"),
    ("checkin/_board_panel.html", "shaobao.checkin.selectors.board_panel"),
]


def panels(user, district) -> list[dict]:
    out = []
    for template, path in FORCES_PANELS:
        fn = import_string(path)
        required = [
            p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty
        ]
        args = (user, district) if len(required) > 1 else (user,)
        out.append({"template": template, "context": fn(*args)})
    return out
