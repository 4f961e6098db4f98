"""SMS to residents: the events' subscriber (queues the worker's part) and the entry points of the
sending side (`sms.sending`), re-exported for the API, the admin and the tests."""

from __future__ import annotations

from django.conf import settings

from shaobao.core import events
from shaobao.sms.sending import (  # noqa: F401 - the app's entry points
    TEMPLATE_FOR,
    default_text,
    do_opt_out,
    handle_reply,
    is_opted_out,
    language_for,
    normalise,
    prepare,
    record_report,
    retry_due,
    send,
)


def _setting(name, default):
    return getattr(settings, name, default)


def on_event(event: events.DomainEvent) -> None:
    """After the action's commit: queue the worker's part (no query here: intake's hot path)."""
    if not _setting("SMS_ENABLED", True) or event.name not in TEMPLATE_FOR:
        return
    if event.payload.get("has_phone") is False:  # nobody to write to: no task
        return
    if _setting("SMS_SKIP_CHANNELS", ()) and event.payload.get("channel") in settings.SMS_SKIP_CHANNELS:
        return
    from shaobao.sms import tasks

    tasks.prepare_sms(event.name, event.payload, event.id)
