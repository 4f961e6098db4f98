"""The calls' supervision sweep (督办), on the whistles' rules: the same four stages
(`whistles.supervision.STAGES`: a warning when 75 % of the report-in or finish span has passed, while the
deadline is still ahead; a supervision order when the deadline passes, which also claims the warning so it
is never sent after the fact), on the deadlines stored on each `CallAssignment` like a summons'.

Warnings reach the department and the centre; overdue marks reach the department, the centre's staff and
the caller. Each (assignment, stage) is claimed once (`CallClaim`, unique), in the same transaction as the
order, the audit event and the queued notifications; on PostgreSQL the due assignments are locked SKIP
LOCKED, so two sweepers never act twice and an action holding an assignment (report-in, extension) and the
sweep take turns. Calls are counted in hundreds, not millions: the ORM is enough here (as for key tasks).
Run by the periodic task `calls.tasks.sweep_calls`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.calls.models import CallAssignment, CallClaim, CallSupervisionOrder
from shaobao.calls.recipients import call_url, caller_staff, centre_staff
from shaobao.core import audit
from shaobao.core.notifications import msg, notify_on_commit
from shaobao.intake import people
from shaobao.whistles.models import ClaimStage, SupervisionKind
from shaobao.whistles.supervision import STAGES, Stage

log = logging.getLogger(__name__)
BATCH = 500

# The bell's texts per stage (the whistles' say "whistle #n"; these name the call and the department).
TEXTS = {
    ClaimStage.REPORT_IN_WARNING: N_("Warning: %(unit)s is due to report in on call #%(call)s soon"),
    ClaimStage.REPORT_IN_OVERDUE: N_("Supervision: %(unit)s is overdue to report in on call #%(call)s"),
    ClaimStage.FINISH_WARNING: N_("Warning: %(unit)s is due to finish call #%(call)s soon"),
    ClaimStage.FINISH_OVERDUE: N_("Supervision: %(unit)s is overdue to finish call #%(call)s"),
}


def claims_of(assignment_id: int) -> dict[str, dt.datetime]:
    """{stage: claimed_at} of one assignment: which warnings and overdue marks the sweep has issued."""
    return dict(CallClaim.objects.filter(assignment_id=assignment_id).values_list("stage", "claimed_at"))


def restart_finish_stages(assignment_id: int, *, warning: bool = True, overdue: bool = True) -> None:
    """The finish deadline moved (extension, rework, rejected dispute): its stages may be issued again.
    Called inside the action's transaction, with the assignment locked."""
    stages = [ClaimStage.FINISH_WARNING] * warning + [ClaimStage.FINISH_OVERDUE] * overdue
    if stages:
        CallClaim.objects.filter(assignment_id=assignment_id, stage__in=stages).delete()


def resolve_orders(assignment: CallAssignment, stage: str | None, now: dt.datetime) -> None:
    """The department did what it owed (or no longer owes it): its open orders of that stage resolve."""
    qs = CallSupervisionOrder.objects.filter(assignment=assignment, resolved_at__isnull=True)
    if stage:
        qs = qs.filter(stage=stage)
    qs.update(resolved_at=now)


def _due(stage: Stage, now: dt.datetime):
    qs = CallAssignment.objects.filter(state__in=stage.states, **{f"{stage.time_column}__lte": now})
    if stage.before_column:
        qs = qs.filter(**{f"{stage.before_column}__gt": now})
    return qs.exclude(claims__stage=stage.key).order_by(stage.time_column, "pk")


def _claim(assignment: CallAssignment, stage: str, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            CallClaim.objects.create(assignment=assignment, stage=stage, claimed_at=now)
    except IntegrityError:
        return False
    return True


def _recipients(cache: dict, key: tuple, find) -> list[int]:
    """Recipients looked up once per pass (many assignments share a centre, a caller, a department)."""
    if key not in cache:
        cache[key] = find()
    return cache[key]


def _act(a: CallAssignment, stage: Stage, now: dt.datetime, cache: dict) -> None:
    due = getattr(a, stage.time_column if stage.before_column is None else stage.before_column)
    CallSupervisionOrder.objects.create(assignment=a, kind=stage.kind, stage=stage.stage, issued_at=now)
    audit.record(
        a,
        stage.key,
        from_state=a.state,
        to_state=a.state,
        data={"stage": stage.stage, "kind": stage.kind, "due": due.isoformat()},
    )
    text = msg(TEXTS[stage.key], unit=a.unit.name, call=a.call_id)
    centre = _recipients(cache, ("centre", a.call.centre_id), lambda: centre_staff(a.call.centre))
    caller = _recipients(cache, ("caller", a.call.caller_id), lambda: caller_staff(a.call.caller))
    department = _recipients(cache, ("unit", a.unit_id), lambda: people.unit_staff([a.unit_id]))
    if stage.kind == SupervisionKind.WARNING:
        notify_on_commit(set(department) | set(centre), text, call_url(a.call_id), email=False)
    else:
        notify_on_commit(set(department) | set(centre) | set(caller), text, call_url(a.call_id))


def _run_stage(stage: Stage, now: dt.datetime, batch: int, counts: Counter) -> None:
    cache: dict = {}
    while True:
        with transaction.atomic():
            ids = list(_due(stage, now).values_list("pk", flat=True)[:batch])
            # Locked and checked again: a row an action or another sweeper holds is passed over (next pass).
            due = list(
                _due(stage, now)
                .filter(pk__in=ids)
                .select_related("call", "call__caller", "call__centre", "unit")
                .select_for_update(skip_locked=True, of=("self",))
            )
            done = 0
            for a in due:
                if not _claim(a, stage.key, now):
                    continue
                if stage.also_claim:  # overdue before anyone warned: the warning is not sent after the fact
                    _claim(a, stage.also_claim, now)
                _act(a, stage, now, cache)
                done += 1
            if done:
                counts[str(stage.key)] += done
        if len(ids) < batch or not due:
            return


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> dict[str, int]:
    """One pass over the four stages; safe to repeat and to run concurrently. {stage: rows acted on}."""
    now = now or timezone.now()
    counts: Counter = Counter()
    for stage in STAGES:
        _run_stage(stage, now, batch, counts)
    if counts:
        log.info("calls sweep: %s", dict(counts))
    return dict(counts)
