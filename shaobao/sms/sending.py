"""SMS to residents (the worker's side): which event sends which message, to whom, in which language; opt-out, rate limit,
sending with retries, the gateway's delivery reports and the residents' replies.

The web request does nothing but queue a task (`on_event`, after the action's commit: no query); the
worker (`prepare`) reads the demand's phone, checks the opt-out list and the rate limit, renders the
template and records the message (unique per event and message: never two for one event), then sends it
(`send`): claimed by a conditional UPDATE, retried with backoff (SMS_RETRY_DELAY seconds, doubling) up to
SMS_MAX_ATTEMPTS when the gateway fails, failed at once when it refuses the message for good.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shaobao.core import audit, events
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.privacy import mask_phone
from shaobao.sms.backends import get_backend
from shaobao.sms.models import SmsMessage, SmsOptOut, SmsStatus, SmsTemplate, TemplateKey

log = logging.getLogger(__name__)

TEMPLATE_FOR = {
    events.DEMAND_RECEIVED: TemplateKey.RECEIPT,
    events.DEMAND_CLOSED: TemplateKey.CLOSED,
    events.DEMAND_CALLBACK_FAILED: TemplateKey.CALLBACK_FAILED,
}
STOP_WORDS = {"td", "t", "n", "stop", "unsubscribe", "退订", "取消", "0000"}
RATINGS = {"1": "satisfied", "2": "basically_satisfied", "3": "unsatisfied"}
LIVE = (SmsStatus.QUEUED, SmsStatus.SENDING, SmsStatus.SENT, SmsStatus.DELIVERED)


def _setting(name, default):
    return getattr(settings, name, default)


def default_text(key: str) -> str:
    """The built-in text of a message in the active language (used when the admin has no template)."""
    return {
        TemplateKey.RECEIPT: _(
            "Your demand was received. Tracking code {tracking_code}; follow it at {link}. Reply TD to stop messages."
        ),
        TemplateKey.CLOSED: _(
            "Your demand {tracking_code} has been handled: {result}. Reply 1 satisfied, 2 basically satisfied, "
            "3 unsatisfied; details at {link}."
        ),
        TemplateKey.CALLBACK_FAILED: _(
            "We called about your demand {tracking_code} and could not reach you. Reply 1 satisfied, "
            "2 basically satisfied, 3 unsatisfied, or follow it at {link}."
        ),
    }[key]


def tracking_url(code: str) -> str:
    from django.urls import reverse

    return f"{_setting('PUBLIC_BASE_URL', '').rstrip('/')}{reverse('intake:track', args=[code])}"


def normalise(phone: str) -> str:
    digits = re.sub(r"[\s\-()]", "", phone or "")
    return digits[3:] if digits.startswith("+86") else digits


def language_for(phone: str) -> str:
    """Chinese numbers get the site's language; a foreign number (+ and not +86) gets English."""
    raw = re.sub(r"[\s\-()]", "", phone or "")
    if raw.startswith("+") and not raw.startswith("+86"):
        return "en"
    return _setting("SMS_DEFAULT_LANGUAGE", settings.LANGUAGE_CODE)


def is_opted_out(phone: str) -> bool:
    return SmsOptOut.objects.filter(phone=normalise(phone)).exists()


def over_rate_limit(phone: str, now: dt.datetime) -> bool:
    limit, window = _setting("SMS_RATE_LIMIT", (5, 3600))
    since = now - dt.timedelta(seconds=window)
    sent = SmsMessage.objects.filter(phone=normalise(phone), status__in=LIVE, created_at__gte=since).count()
    return sent >= limit


# --- the events ------------------------------------------------------------------------------------------


def _render(key: str, language: str, values: dict) -> tuple[str, str] | None:
    """(text, provider template code) in `language` (else the site's language); None: no usable template."""
    rows = {t.language: t for t in SmsTemplate.objects.filter(key=key, is_active=True)}
    tpl = rows.get(language) or rows.get(settings.LANGUAGE_CODE)
    with translation.override(language):
        text = tpl.text if tpl else default_text(key)
    try:
        rendered = text.format(**values)
    except (KeyError, IndexError, ValueError):
        log.warning("sms template %s/%s has an unknown placeholder", key, language)
        rendered = default_text(key).format(**values)
    return rendered, (tpl.provider_template if tpl else "")


def prepare(name: str, payload: dict, event_id: str, now: dt.datetime | None = None) -> SmsMessage | None:
    """The worker's part: the message for this event (recorded even when not sent), then sent."""
    now = now or timezone.now()
    key = TEMPLATE_FOR[name]
    demand = Demand.objects.filter(pk=payload.get("demand_id")).first()
    if demand is None or not (demand.reporter_phone or "").strip():
        return None
    phone = normalise(demand.reporter_phone)
    language = language_for(demand.reporter_phone)
    values = {
        "tracking_code": demand.tracking_code,
        "link": tracking_url(demand.tracking_code),
        "result": (payload.get("result") or "")[:100],
        "subject": demand.subject[:40],
    }
    text, provider_template = _render(key, language, values)
    status = SmsStatus.QUEUED
    if is_opted_out(phone):
        status = SmsStatus.OPTED_OUT
    elif over_rate_limit(phone, now):
        status = SmsStatus.RATE_LIMITED
    elif get_backend().needs_provider_template and not provider_template:
        status = SmsStatus.NO_TEMPLATE
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                key=f"{event_id}:{key}",
                phone=phone,
                demand=demand,
                template=key,
                language=language,
                text=text,
                params={**values, "provider_template": provider_template},
                status=status,
                created_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:  # this event's message exists already: never twice
        return SmsMessage.objects.filter(key=f"{event_id}:{key}").first()
    if status != SmsStatus.QUEUED:
        log.info("sms %s to %s not sent: %s", message.pk, mask_phone(phone), status)
        return message
    send(message.pk, now)
    message.refresh_from_db()
    return message


# --- sending --------------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    base = _setting("SMS_RETRY_DELAY", 60)
    return dt.timedelta(seconds=min(6 * 3600, base * 2 ** max(0, attempts - 1)))


def _due_q(now):
    return Q(status=SmsStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=SmsStatus.SENDING, lease_until__lt=now
    )


def send(pk: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """One attempt if due and free; when to try again (None: done, or not ours)."""
    now = now or timezone.now()
    claimed = SmsMessage.objects.filter(_due_q(now), pk=pk).update(
        status=SmsStatus.SENDING, lease_until=now + dt.timedelta(minutes=2)
    )
    if not claimed:
        return None
    m = SmsMessage.objects.get(pk=pk)
    params = {k: v for k, v in m.params.items() if k != "provider_template"}
    result = get_backend().send(
        phone=m.phone,
        text=m.text,
        template_code=m.params.get("provider_template", ""),
        params=params,
        out_id=str(m.pk),
    )
    attempts = m.attempts + 1
    fields = {"attempts": attempts, "lease_until": None, "error": result.error[:300]}
    retry_at = None
    if result.ok:
        fields.update(status=SmsStatus.SENT, sent_at=timezone.now(), provider_id=result.provider_id[:80])
    elif not result.retryable or attempts >= _setting("SMS_MAX_ATTEMPTS", 5):
        fields.update(status=SmsStatus.FAILED)
    else:
        retry_at = timezone.now() + backoff(attempts)
        fields.update(status=SmsStatus.QUEUED, next_attempt_at=retry_at)
    SmsMessage.objects.filter(pk=pk).update(**fields)
    if not result.ok:
        log.info("sms %s to %s failed (attempt %s): %s", pk, mask_phone(m.phone), attempts, result.error)
    return retry_at


def retry_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    now = now or timezone.now()
    ids = list(
        SmsMessage.objects.filter(_due_q(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        send(pk, now)
    return len(ids)


# --- what comes back from the gateway: delivery reports and replies -----------------------------------


def record_report(
    *, provider_id: str = "", out_id: str = "", delivered: bool, error: str = "", at=None
) -> int:
    """A delivery report: the message (by the gateway's id, or ours in OutId) is delivered, or failed."""
    qs = SmsMessage.objects.filter(status__in=(SmsStatus.SENT, SmsStatus.SENDING))
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    elif out_id and str(out_id).isdigit():
        qs = qs.filter(pk=int(out_id))
    else:
        return 0
    if delivered:
        return qs.update(status=SmsStatus.DELIVERED, delivered_at=at or timezone.now())
    return qs.update(status=SmsStatus.FAILED, error=(error or "not delivered")[:300])


def do_opt_out(phone: str, source: str = "reply") -> SmsOptOut:
    obj, _created = SmsOptOut.objects.get_or_create(phone=normalise(phone), defaults={"source": source})
    return obj


def handle_reply(*, phone: str, text: str) -> str:
    """A resident's reply: a stop word opts the phone out; 1/2/3 rates his latest closed demand (recorded on
    the demand, where the dispatcher sees it before calling back). What was done: opt_out|rating|ignored."""
    word = (text or "").strip().lower()
    if word in STOP_WORDS:
        do_opt_out(phone, "reply")
        return "opt_out"
    if word in RATINGS:
        number = normalise(phone)
        demand = (
            Demand.objects.filter(
                reporter_phone__in={number, phone.strip(), f"+86{number}"},
                state__in=(DemandState.CLOSED, DemandState.CALLED_BACK),
            )
            .order_by("-closed_at", "-pk")
            .first()
        )
        if demand is not None:
            with transaction.atomic():
                audit.record(demand, "resident_rating", data={"satisfaction": RATINGS[word], "via": "sms"})
            return "rating"
    return "ignored"
