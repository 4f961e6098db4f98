"""Reads on demands: list filters, possible duplicates, and the public tracking view.

`scrub_personal_data` (in `intake.privacy`) is re-exported here for Open311."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.errors import NotFound
from shaobao.intake.codes import normalise
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.privacy import scrub_personal_data

OPEN_STATES = (DemandState.RECEIVED, DemandState.SELF_HANDLING, DemandState.WHISTLED, DemandState.REOPENED)


def _bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def filter_demands(
    qs: QuerySet,
    *,
    state: str | None = None,
    street: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    matter: str | None = None,
    unit: str | None = None,
    urgency: str | None = None,
    overdue=None,
    q: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    """Filters of the demand list (all optional; street/matter/unit are codes)."""
    now = now or timezone.now()
    if state:
        qs = qs.filter(state=state)
    if street:
        qs = qs.filter(street__code=street.ljust(12, "0"))
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if matter:
        qs = qs.filter(matter__code=matter)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if unit:
        qs = qs.filter(
            Q(assigned_unit__code=unit)
            | Q(pk__in=Demand.objects.filter(whistles__summonses__unit__code=unit).values("pk"))
        )
    flag = _bool(overdue)
    if flag is not None:
        late = Q(state__in=OPEN_STATES, due_at__lte=now)
        qs = qs.filter(late) if flag else qs.exclude(late)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(tracking_code__iexact=normalise(term))
            | Q(subject__icontains=term)
            | Q(body__icontains=term)
            | Q(address__icontains=term)
        )
    return qs


def possible_duplicates(demand: Demand, *, limit: int = 10) -> QuerySet:
    """Recent open demands of the same street about the same matter or in the same grid (to merge)."""
    since = demand.received_at - dt.timedelta(days=getattr(settings, "DUPLICATE_WINDOW_DAYS", 30))
    if demand.street_id is None:
        return Demand.objects.none()
    same = Q(grid_id=demand.grid_id) if demand.grid_id else Q(pk__in=[])
    if demand.matter_id:
        same |= Q(matter_id=demand.matter_id)
    if demand.address:
        same |= Q(address=demand.address)
    return (
        Demand.objects.filter(same, street_id=demand.street_id, received_at__gte=since)
        .exclude(pk=demand.pk)
        .exclude(state__in=[DemandState.MERGED, DemandState.CALLED_BACK])
        .order_by("-received_at")[:limit]
    )


# Steps the resident sees on the public tracking page, with a plain label; replies are shown only for
# the steps that answer the resident (never internal notes, never names or phone numbers).
PUBLIC_STEPS = {
    "receive": "已受理 / Received",
    "transfer": "已转至属地街乡 / Passed to the responsible street",
    "self_handle": "街乡办理中 / Being handled by the street",
    "blow_whistle": "已吹哨，相关部门报到办理 / Whistle blown, departments summoned",
    "merge": "已合并至同一问题处理 / Merged with a report of the same problem",
    "finish_self_handling": "已办理 / Handled",
    "verify_pass": "已核查办结 / Verified and closed",
    "verify_fail": "核查未通过，返工中 / Sent back for rework",
    "whistle_closed": "已核查办结 / Verified and closed",
    "callback_satisfied": "已回访 / Called back",
    "callback_unsatisfied": "已回访，重新办理 / Called back, reopened",
}
REPLY_STEPS = {"finish_self_handling", "verify_pass", "whistle_closed", "feed_back"}


def track(code: str) -> dict:
    """The public view of a demand by tracking code: state, public steps and replies; no personal data."""

    demand = (
        Demand.objects.select_related("street", "merged_into").filter(tracking_code=normalise(code)).first()
    )
    if demand is None:
        raise NotFound(f"查询码 {code} 不存在 / No demand with tracking code {code}")
    steps = []
    for e in audit.history(demand):
        if e.action not in PUBLIC_STEPS:
            continue
        steps.append(
            {
                "at": e.at.isoformat(),
                "step": e.action,
                "label": PUBLIC_STEPS[e.action],
                "state": e.to_state,
                "reply": scrub_personal_data(e.note, demand) if e.action in REPLY_STEPS else "",
            }
        )
    for whistle in demand.whistles.all():
        for e in audit.history(whistle).filter(action="feed_back"):
            steps.append(
                {
                    "at": e.at.isoformat(),
                    "step": "feed_back",
                    "label": "责任部门已反馈办理结果 / The responsible department reported its result",
                    "state": e.to_state,
                    "reply": scrub_personal_data(e.note, demand),
                }
            )
    steps.sort(key=lambda s: s["at"])
    return {
        "tracking_code": demand.tracking_code,
        "subject": scrub_personal_data(demand.subject, demand),
        "state": demand.state,
        "state_label": str(demand.get_state_display()),
        "street": demand.street.name if demand.street_id else None,
        "received_at": demand.received_at.isoformat(),
        "closed_at": demand.closed_at.isoformat() if demand.closed_at else None,
        "merged_into": demand.merged_into.tracking_code if demand.merged_into_id else None,
        "steps": steps,
    }
