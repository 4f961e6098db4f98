"""Reads the API needs that no other app offers yet (kept small; they could move to their apps)."""

from __future__ import annotations

import json

from django.db.models import Q, QuerySet

from shaobao.duties.models import Matter
from shaobao.duties.selectors import duty_list_in_force
from shaobao.org.models import Division


def search_matters(district: Division | None, q: str = "") -> QuerySet[Matter]:
    """Matters of the duty list in force in `district` whose code, name or keywords contain `q`."""
    duty_list = duty_list_in_force(district) if district is not None else None
    if duty_list is None:
        return Matter.objects.none()
    matters = duty_list.matters.select_related("lead_unit", "domain", "duty_list__district").prefetch_related(
        "supporting_units"
    )
    q = q.strip()
    if q:
        # JSON is stored ASCII-escaped on SQLite ("\u8fdd…") but as text on PostgreSQL: try both forms.
        escaped = json.dumps(q)[1:-1]
        matters = matters.filter(
            Q(code__icontains=q)
            | Q(name__icontains=q)
            | Q(keywords__icontains=q)
            | Q(keywords__icontains=escaped)
        )
    return matters.order_by("code")
