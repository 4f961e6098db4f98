"""Which classifier is in use: the active `RouterModel`, loaded once per process, or the cold start.

Each call asks the database for the active version's id (one indexed single-row query); the pickled model
is loaded only when that id changes, so a switch made by `train_router` or the admin in another process
is noticed on the next proposal without a restart.
"""

from __future__ import annotations

import hashlib
import threading

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shaobao.routing.classifier import TextClassifier
from shaobao.routing.cold_start import KeywordClassifier, MatterText
from shaobao.routing.models import RouterModel

_lock = threading.Lock()
_loaded: dict[str, object] = {"id": None, "model": None, "version": None}
_cold: dict[int, KeywordClassifier] = {}


def active_model() -> tuple[RouterModel | None, TextClassifier | None]:
    """The active version's row (without its bytes) and its loaded classifier, or (None, None)."""
    row = RouterModel.objects.filter(is_active=True).defer("blob").first()
    if row is None:
        return None, None
    if _loaded["id"] != row.pk:
        blob = RouterModel.objects.filter(pk=row.pk).values_list("blob", flat=True).first()
        model = TextClassifier.from_bytes(blob)
        with _lock:
            _loaded.update(id=row.pk, model=model, version=row.version)
    return row, _loaded["model"]  # type: ignore[return-value]


def cold_start_for(duty_list) -> KeywordClassifier:
    """The keyword classifier of a duty list; published lists never change, so one per list and process."""
    cached = _cold.get(duty_list.pk)
    if cached is not None:
        return cached
    matters = duty_list.matters.select_related("domain").order_by("code")
    model = KeywordClassifier(
        MatterText(
            m.code, m.name, m.description or "", tuple(m.keywords or ()), m.pk, m.domain.code, m.domain.name
        )
        for m in matters
    )
    if getattr(duty_list, "is_frozen", False):
        with _lock:
            _cold[duty_list.pk] = model
    return model


def clear_cache() -> None:
    with _lock:
        _loaded.update(id=None, model=None, version=None)
        _cold.clear()


def save_model(
    model: TextClassifier, *, source: str, figures: dict, activate: bool = True, actor=None, note: str = ""
) -> RouterModel:
    """Store a trained classifier as the next version and (by default) make it the one in use."""
    blob = model.to_bytes()
    with transaction.atomic():
        # Lock the active row (if any) so two trainings finishing together get distinct versions.
        list(RouterModel.objects.select_for_update().filter(is_active=True).values_list("id", flat=True))
        version = (RouterModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        row = RouterModel.objects.create(
            version=version,
            created_by=actor if getattr(actor, "pk", None) else None,
            method=model.method[:200],
            source=source[:300],
            labels=list(model.labels),
            figures=figures,
            samples=int(figures.get("samples", 0)),
            size_bytes=len(blob),
            sha256=hashlib.sha256(blob).hexdigest(),
            blob=blob,
            note=note,
        )
        if activate:
            activate_version(row.pk)
            row.refresh_from_db(fields=["is_active", "activated_at"])
    return row


def activate_version(pk: int | None) -> None:
    """Make one version the one in use (or none: `pk=None` → cold start), atomically."""
    with transaction.atomic():
        RouterModel.objects.select_for_update().filter(is_active=True).update(is_active=False)
        if pk is not None:
            updated = RouterModel.objects.filter(pk=pk).update(is_active=True, activated_at=timezone.now())
            if not updated:
                raise RouterModel.DoesNotExist(pk)
