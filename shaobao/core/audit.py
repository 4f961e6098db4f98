"""Writing to the append-only record. Every do_* action calls `record` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from shaobao.core.models import Event


def record(
    subject: models.Model,
    action: str,
    *,
    actor: Any = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict | None = None,
) -> Event:
    return Event.objects.create(
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )


def history(subject: models.Model):
    return Event.objects.filter(subject_type=subject._meta.label_lower, subject_id=subject.pk).select_related(
        "actor"
    )
