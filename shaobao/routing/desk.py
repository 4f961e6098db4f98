"""The intake desk: what the operator should see right after a call is recorded.

- the caller's earlier demands by phone number (`intake.selectors.caller_history`: only for the roles
  that may see reporters, masked, with their states);
- the likely duplicates: open demands about the same problem nearby and recent — the text-similarity
  search (`routing.duplicates.find_duplicates`) first, then intake's same matter / grid / address look-up
  (`intake.selectors.possible_duplicates`); only demands the user may see.

The operator attaches the new call to one of them with the existing merge action
(`intake.actions.do_merge`, audited on both demands). Routing sits above intake, so this selector lives
here and the API (above both) calls it; intake never imports routing.
"""

from __future__ import annotations

from shaobao.intake.models import Demand
from shaobao.intake.selectors import caller_history, possible_duplicates
from shaobao.routing.duplicates import find_duplicates


def _brief(d: Demand) -> dict:
    return {
        "id": d.pk,
        "tracking_code": d.tracking_code,
        "subject": d.subject,
        "state": str(d.state),
        "state_label": str(d.get_state_display()),
        "received_at": d.received_at,
        "street": d.street.name if d.street_id else None,
    }


def likely_duplicates(user, demand: Demand, *, limit: int = 5) -> list[dict]:
    scores: dict[int, float | None] = {}
    try:
        found = find_duplicates(
            subject=demand.subject,
            body=demand.body,
            street=demand.street,
            grid=demand.grid,
            community_id=demand.community_id,
            matter_ids=[demand.matter_id] if demand.matter_id else [],
            exclude_id=demand.pk,
            received_at=demand.received_at,
            limit=limit,
        )
    except Exception:  # noqa: BLE001 - the desk must answer even if the similarity search fails
        found = []
    for c in found:
        scores.setdefault(c.demand_id, c.score)
    for other in possible_duplicates(demand, limit=limit):
        scores.setdefault(other.pk, None)
    if not scores:
        return []
    visible = {
        d.pk: d for d in Demand.objects.visible_to(user).select_related("street").filter(pk__in=list(scores))
    }
    return [{**_brief(visible[pk]), "score": score} for pk, score in scores.items() if pk in visible][:limit]


def intake_desk(user, demand: Demand) -> dict:
    history = []
    for d in caller_history(user, demand):
        history.append(
            {**_brief(d), "reporter_name": d.reporter["name"], "reporter_phone": d.reporter["phone"]}
        )
    return {"caller_history": history, "duplicates": likely_duplicates(user, demand)}
