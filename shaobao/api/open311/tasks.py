"""Open311's background work (huey; `shaobao/api/tasks.py` imports this so the worker finds it).

- `fetch_media`: a request's media URL, fetched safely (`media.py`) into a photo of the demand. A refusal
  (internal address, not an image, too large) is final and recorded on the request; a server that cannot
  be reached is retried 3 times (1, 2, 4 minutes), then recorded as failed and as a failed task.
- `create_from_token`: a request accepted with `Prefer: respond-async`.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from shaobao.api.models_open311 import MediaState, Open311Request
from shaobao.api.open311 import media
from shaobao.intake.models import DemandPhoto


@db_task(retries=3, retry_delay=60, retry_backoff=2)
def fetch_media(request_id: int) -> str:
    return store_media(request_id)


# `actions` queues these tasks, so this module does not import it: actions installs its creator here.
_creator = None


def set_creator(creator) -> None:
    """`creator(token_id)` → the token, once its request is created (`actions.do_create_from_token`)."""
    global _creator
    _creator = creator


@db_task(retries=3, retry_delay=30, retry_backoff=2)
def create_from_token(token_id: int) -> int | None:
    if _creator is None:
        raise RuntimeError("shaobao.api.open311.actions is not loaded: no creator for Open311 tokens")
    return _creator(token_id).demand_id


def store_media(request_id: int) -> str:
    """Fetch and store; returns the request's media state. Raises MediaUnavailable (to be retried)."""
    from django.db import transaction

    record = Open311Request.objects.filter(pk=request_id).first()
    if record is None or record.media_state not in (MediaState.PENDING, MediaState.FAILED):
        return record.media_state if record else ""
    try:
        photo = media.fetch_photo(record.media_url)
    except media.MediaRefused as exc:
        Open311Request.objects.filter(pk=request_id).update(
            media_state=MediaState.REFUSED, media_error=str(exc)[:300]
        )
        return MediaState.REFUSED
    except media.MediaUnavailable as exc:
        Open311Request.objects.filter(pk=request_id).update(
            media_state=MediaState.FAILED, media_error=str(exc)[:300]
        )
        raise
    with transaction.atomic():
        locked = Open311Request.objects.select_for_update().get(pk=request_id)
        if locked.media_state == MediaState.STORED:
            return MediaState.STORED
        DemandPhoto.objects.create(
            demand_id=locked.demand_id, image=photo, uploaded_by_id=locked.created_by_id
        )
        locked.media_state, locked.media_error = MediaState.STORED, ""
        locked.save(update_fields=["media_state", "media_error"])
    return MediaState.STORED
