"""Turning domain objects into what the schemas read: masked reporters, histories, public steps.

Kept apart from the routers so that every endpoint that answers a demand or a whistle answers the
same shape, and so that what the public may see is decided in one place.
"""

from __future__ import annotations

from shaobao.core import audit
from shaobao.intake.models import Demand
from shaobao.whistles.models import Summons, Whistle


def demand_detail(user, demand: Demand, *, reveal: bool = False) -> Demand:
    """Attach the reporter (masked unless revealed, which the privacy module logs) and the history."""
    from shaobao.intake.privacy import reporter_for

    demand.reporter = reporter_for(user, demand, reveal=reveal)
    demand.events = list(audit.history(demand))
    return demand


def summons_detail(summons: Summons) -> Summons:
    summons.events = list(audit.history(summons))
    return summons


def whistle_detail(whistle: Whistle) -> Whistle:
    whistle = (
        Whistle.objects.select_related("street", "matter", "blown_by")
        .prefetch_related("demands", "summonses__unit", "summonses__progress_notes__author")
        .get(pk=whistle.pk)
    )
    whistle.events = list(audit.history(whistle))
    whistle.summons_list = [summons_detail(s) for s in whistle.summonses.all()]
    return whistle


def inbox_item(obj) -> dict:
    """One inbox entry, whatever the section holds (demands, whistles, summonses, extension requests)."""
    from shaobao.whistles.models import ExtensionRequest

    if isinstance(obj, Demand):
        return {"type": "demand", "id": obj.pk, "title": obj.subject, "state": obj.state, "due": obj.due_at}
    if isinstance(obj, Whistle):
        return {"type": "whistle", "id": obj.pk, "title": str(obj.matter.name), "state": obj.state}
    if isinstance(obj, Summons):
        due = obj.report_in_due if obj.state == "summoned" else obj.finish_due
        return {
            "type": "summons",
            "id": obj.pk,
            "title": str(obj.whistle.matter.name),
            "state": obj.state,
            "due": due,
        }
    if isinstance(obj, ExtensionRequest):
        return {"type": "extension", "id": obj.pk, "title": obj.reason[:100], "state": obj.state}
    return {"type": "other", "id": obj.pk, "title": str(obj), "state": getattr(obj, "state", "")}
