"""Writes of the platform: emergency broadcasts (应急广播, the emergency whistle's "即叫即应").

`do_send_broadcast` writes the broadcast, one receipt per recipient, the audit event and the bell rows in
one transaction (bulk inserts: the number of queries does not grow with the number of recipients); the
e-mails are queued after commit. `do_acknowledge` is the recipient's "已知悉".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shaobao.core import audit, events
from shaobao.core.errors import Forbidden, NotFound, ValidationFailed
from shaobao.core.notifications import create_rows, email_on_commit
from shaobao.intake import people
from shaobao.org.models import STREET_ROLES, UNIT_ROLES, Division, Membership
from shaobao.platform import extensions
from shaobao.platform.models import Broadcast, BroadcastLevel, BroadcastReceipt

# The bell and the e-mails speak Chinese whatever the reader's language (as every other notification).
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
TITLE_MAX = 100
BODY_MAX = 2000


def broadcast_url(pk: int) -> str:
    return reverse("platform:broadcast_detail", args=[pk])


def may_broadcast(user, district: Division | None) -> bool:
    """District coordinators and administrators of that district (and superusers)."""
    if district is None or district.level != "district":
        return False
    if getattr(user, "is_superuser", False):
        return True
    return district.prefix in people.district_prefixes(user)


def recipient_ids(district: Division, streets: list[Division]) -> list[int]:
    """Active users to alert, in one query: street staff (grid workers, dispatchers, street leaders) of the
    chosen streets or of every street of the district, and the handlers and leaders of the district's units
    — district-level units always, a street's own units (sections, teams, communities) only if their street
    is chosen."""
    prefix = district.prefix
    if streets:
        street_q = reduce(or_, (Q(division__code__startswith=s.prefix) for s in streets))
        unit_q = Q(unit__division__code__startswith=prefix) & (
            ~Q(unit__division__level__in=["street", "community"])
            | reduce(or_, (Q(unit__division__code__startswith=s.prefix) for s in streets))
        )
    else:
        street_q = Q(division__code__startswith=prefix, division__level__in=["street", "community"])
        unit_q = Q(unit__division__code__startswith=prefix)
    qs = Membership.objects.filter(
        (Q(role__in=sorted(STREET_ROLES)) & street_q)
        | (Q(role__in=sorted(UNIT_ROLES), unit__is_active=True) & unit_q),
        user__is_active=True,
    )
    return sorted(set(qs.values_list("user_id", flat=True)))


def do_send_broadcast(
    *,
    actor,
    district: Division,
    streets: Iterable = (),
    title: str,
    body: str,
    level: str,
    options: dict | None = None,
) -> Broadcast:
    """Alert the people of some (or all) streets of the district at once; returns the broadcast. `options`
    are handed to the apps above (`extensions.run_sent_hooks`), e.g. {"households": True}."""
    if not may_broadcast(actor, district):
        raise Forbidden(
            "只有本区统筹协调员或管理员可以发布应急广播 / Only the district's coordinators may send broadcasts"
        )
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = "请填写标题 / Give a title"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"标题最多{TITLE_MAX}字 / At most {TITLE_MAX} characters"
    if not body:
        errors["body"] = "请填写内容 / Write the message"
    elif len(body) > BODY_MAX:
        errors["body"] = f"内容最多{BODY_MAX}字 / At most {BODY_MAX} characters"
    if level not in BroadcastLevel.values:
        errors["level"] = "预警级别无效 / Unknown level"
    try:
        street_ids = sorted({int(getattr(s, "pk", s)) for s in (streets or []) if s not in ("", None)})
    except (TypeError, ValueError):  # a hand-made form: refused like a street of another district
        street_ids, errors["streets"] = [], "只能选择本区的街乡 / Choose streets of this district"
    chosen: list[Division] = []
    if street_ids:
        chosen = list(
            Division.objects.filter(
                pk__in=street_ids, level="street", code__startswith=district.prefix
            ).order_by("code")
        )
        if len(chosen) != len(street_ids):
            errors["streets"] = "只能选择本区的街乡 / Choose streets of this district"
    if errors:
        raise ValidationFailed("应急广播无效 / Invalid broadcast", fields=errors)
    with transaction.atomic():
        recipients = recipient_ids(district, chosen)
        if not recipients:
            raise ValidationFailed(
                "所选范围内没有接收人 / Nobody to alert in the chosen streets",
                fields={"streets": "no_recipients"},
            )
        broadcast = Broadcast.objects.create(
            district=district, title=title, body=body, level=level, sent_by=actor, sent_at=timezone.now()
        )
        if chosen:
            through = Broadcast.streets.through
            through.objects.bulk_create(
                [through(broadcast_id=broadcast.pk, division_id=s.pk) for s in chosen]
            )
        BroadcastReceipt.objects.bulk_create(
            [BroadcastReceipt(broadcast_id=broadcast.pk, user_id=uid) for uid in recipients], batch_size=500
        )
        audit.record(
            broadcast,
            "send_broadcast",
            actor=actor,
            note=title,
            data={
                "district": district.code,
                "streets": [s.code for s in chosen],
                "level": level,
                "recipients": len(recipients),
            },
        )
        text = f"【应急广播·{LEVEL_ZH[level]}】{title}"
        url = broadcast_url(broadcast.pk)
        create_rows(recipients, text, url)
        email_on_commit(recipients, f"{text}\n\n{body}", url)
        extensions.run_sent_hooks(broadcast, actor, dict(options or {}))
        events.emit_on_commit(
            events.BROADCAST_SENT,
            broadcast_id=broadcast.pk,
            district=district.code,
            streets=[s.code for s in chosen],
            level=level,
            title=title,
            recipients=len(recipients),
        )
    return broadcast


def do_acknowledge(*, actor, broadcast) -> BroadcastReceipt:
    """The recipient's "已知悉"; acknowledging again changes nothing. Anyone else: NotFound."""
    pk = getattr(broadcast, "pk", broadcast)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Forbidden("请先登录 / Please log in")
    with transaction.atomic():
        receipt = (
            BroadcastReceipt.objects.select_for_update()
            .filter(broadcast_id=pk, user_id=actor.pk)
            .select_related("broadcast")
            .first()
        )
        if receipt is None:
            raise NotFound("没有这条应急广播 / No such broadcast")
        if receipt.acknowledged_at is None:
            receipt.acknowledged_at = timezone.now()
            receipt.save(update_fields=["acknowledged_at"])
            audit.record(receipt.broadcast, "acknowledge", actor=actor)
    return receipt
