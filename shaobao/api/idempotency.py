"""`Idempotency-Key` on the create endpoints (POST /powers, /admission-requests, /key-tasks, /work-teams):
the mechanism of POST /demands — a retry with the same key by the same caller answers 200 with the object
the first request created, and nothing new is written; two requests racing with one key create one object
(the unique (user, endpoint, key) row is inserted first, in the creating transaction: the second insert
waits for the first transaction and fails, and the loser reads the winner's object). A create that fails
(400) leaves no key behind, so a corrected retry may use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction
from ninja import Header

from shaobao.api.models import IdempotentCreate

T = TypeVar("T")

KEY_HELP = "重试时使用同一键，返回首次创建的对象（200）/ the same key on a retry returns what the first request created (200)"


def key_header():
    return Header(None, alias="Idempotency-Key", min_length=1, max_length=100, description=KEY_HELP)


def create_once(
    user, scope: str, key: str | None, create: Callable[[], T], load: Callable[[int], T]
) -> tuple[T, bool]:
    """(object, replayed): `create()` once per (user, scope, key); a replay answers `load(first object's id)`."""
    key = (key or "").strip()
    if not key:
        return create(), False
    done = IdempotentCreate.objects.filter(user=user, scope=scope, key=key, object_id__isnull=False).first()
    if done is not None:
        return load(done.object_id), True
    with transaction.atomic():
        try:
            with transaction.atomic():
                mark = IdempotentCreate.objects.create(user=user, scope=scope, key=key)
        except IntegrityError:
            mark = None  # another request with this key committed first (or is committing: we waited)
        if mark is not None:
            obj = create()
            mark.object_id = obj.pk
            mark.save(update_fields=["object_id"])
            return obj, False
    done = IdempotentCreate.objects.get(user=user, scope=scope, key=key)
    return load(done.object_id), True
