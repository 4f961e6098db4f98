"""Background tasks' retries and the record of their final failures.

Every huey task of the project is declared with retries and an exponential backoff (huey's own
`retries`, `retry_delay` and `retry_backoff`: e.g. notifications retry 4 times, 30 s doubling, at +30,
+60, +120 and +240 s; the per-minute sweep twice, at +10 and +20 s); `tests/core/test_task_failures.py` checks that none is declared without. When the last attempt
fails too, `record_final_failure` (connected to huey's SIGNAL_ERROR in `CoreConfig.ready`) writes a
`core.TaskFailure` row in a transaction of its own — the task's own transaction has already been rolled
back — so an administrator sees it in the admin ("Failed background tasks", counted on the admin's index)
and marks it resolved once dealt with. A failure that a retry makes good is only logged.
"""

from __future__ import annotations

import hashlib
import logging
import traceback as tb

from django.db import transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger("shaobao.queue")

ARGS_LIMIT = 2000
TRACEBACK_LIMIT = 20000


def args_summary(args, kwargs) -> str:
    """The task's arguments, as an administrator reads them (cut to ARGS_LIMIT characters)."""
    parts = [repr(a) for a in (args or ())]
    parts += [f"{k}={v!r}" for k, v in sorted((kwargs or {}).items())]
    text = ", ".join(parts)
    return text if len(text) <= ARGS_LIMIT else text[: ARGS_LIMIT - 1] + "…"


def record_final_failure(signal, task, exc=None, *args, **kwargs) -> None:
    """huey SIGNAL_ERROR receiver: record the failure when no retry is left (`task.retries` is the
    number still to come when the signal is sent)."""
    if task.retries:
        logger.warning("task %s (%s) failed, %s retries left: %r", task.name, task.id, task.retries, exc)
        return
    try:
        _record(task, exc)
    except Exception:  # the receiver must never take the worker down; the log still says it
        logger.exception("could not record the final failure of task %s (%s)", task.name, task.id)


def _record(task, exc) -> None:
    from shaobao.core.models import TaskFailure

    name = f"{type(task).__module__}.{task.name}"  # as huey's registry names it
    summary = args_summary(task.args, task.kwargs)
    key = hashlib.sha256(f"{name}\n{summary}".encode()).hexdigest()
    error = repr(exc)[:1000] if exc is not None else "unknown error"
    trace = "".join(tb.format_exception(exc))[-TRACEBACK_LIMIT:] if exc is not None else ""
    attempts = (type(task).default_retries or 0) + 1
    now = timezone.now()
    # Its own transaction (a savepoint when a caller's transaction is open, e.g. immediate mode in tests).
    with transaction.atomic():
        updated = TaskFailure.objects.filter(key=key, resolved=False).update(
            occurrences=F("occurrences") + 1,
            last_failed_at=now,
            error=error,
            traceback=trace,
            attempts=attempts,
            task_id=str(task.id),
        )
        if not updated:
            TaskFailure.objects.create(
                task_name=name,
                args_summary=summary,
                key=key,
                task_id=str(task.id),
                error=error,
                traceback=trace,
                attempts=attempts,
                first_failed_at=now,
                last_failed_at=now,
            )
    logger.error("task %s (%s) failed after %s attempts: %s", name, task.id, attempts, error)


def unresolved_failures() -> int:
    from shaobao.core.models import TaskFailure

    return TaskFailure.objects.filter(resolved=False).count()


def owed_events() -> int:
    """Domain events a subscriber failed at least once (core.events' outbox, retried by the worker)."""
    from shaobao.core.models import OutboxEvent

    return OutboxEvent.objects.filter(attempts__gt=0).count()


def connect() -> None:
    """Connect the receiver to the project's huey instance (once; called by `CoreConfig.ready`)."""
    from huey.contrib.djhuey import HUEY
    from huey.signals import SIGNAL_ERROR

    if record_final_failure not in HUEY._signal.receivers.get(SIGNAL_ERROR, ()):
        HUEY.signal(SIGNAL_ERROR)(record_final_failure)
