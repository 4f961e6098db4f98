"""Duplicates: open demands about the same problem (same place, same or close matter, recent, similar text).

Blocking keeps it fast with millions of demands: only open demands of the same street (or of grids next
to the demand's grid), received within `settings.DUPLICATE_WINDOW_DAYS`, of a matter in the same domain as
the proposed ones (or not yet classified), newest first and at most `MAX_CANDIDATES` — one range scan on
the (street, state, received_at) index. Texts are compared as sets of character bigrams (Jaccard), on
the subject and the head of the body, where a repost keeps the substance of the problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from shaobao.duties.models import Matter
from shaobao.intake.models import Demand, DemandState
from shaobao.org.models import Grid
from shaobao.routing.classifier import gram_key, ngram_keys
from shaobao.routing.models import DemandFingerprint
from shaobao.routing.text import join_text, normalise

OPEN_STATES = (
    DemandState.RECEIVED,
    DemandState.SELF_HANDLING,
    DemandState.HANDLED,
    DemandState.WHISTLED,
    DemandState.REOPENED,
)
MAX_CANDIDATES = 300
BODY_HEAD = 200  # characters of the body compared: enough for the substance, cheap to fetch and shingle
MIN_SCORE = 0.35
NEARBY_DEGREES = 0.005  # about 500 m: grids this close to the demand's grid count as "nearby"


@dataclass
class DuplicateCandidate:
    demand_id: int
    tracking_code: str
    subject: str
    score: float  # 0..1: text similarity, plus a little for the same matter and the same grid/community
    text_similarity: float
    received_at: dt.datetime
    state: str
    same_matter: bool = False
    same_place: bool = False


def shingles(text: str) -> frozenset[str]:
    """Character bigrams of the normalised text, spaces and punctuation dropped."""
    t = _compact(text)
    return frozenset(t[i : i + 2] for i in range(len(t) - 1)) if len(t) > 1 else frozenset(t)


def fingerprint(text: str) -> np.ndarray:
    """`shingles` as sorted distinct int64 keys (`classifier.gram_key`): comparable in numpy, storable."""
    t = _compact(text)
    if len(t) < 2:
        return np.asarray([gram_key(t)] if t else [], dtype=np.int64)
    return np.unique(ngram_keys([t], (2,))[1])


def _compact(text: str) -> str:
    return "".join(ch for ch in normalise(text, limit=BODY_HEAD + 200) if ch.isalnum())


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def stored_fingerprints(ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Compute and store the fingerprints of these demands (those already stored are left alone)."""
    rows = (
        Demand.objects.filter(pk__in=ids)
        .annotate(head=Substr("body", 1, BODY_HEAD))
        .values_list("id", "subject", "head")
    )
    found = {pk: fingerprint(join_text(subject, head)) for pk, subject, head in rows}
    DemandFingerprint.objects.bulk_create(
        [DemandFingerprint(demand_id=pk, bigrams=fp.tobytes(), size=len(fp)) for pk, fp in found.items()],
        ignore_conflicts=True,  # another lookup may have stored the same demand meanwhile
        batch_size=500,
    )
    return found


def nearby_grid_ids(grid: Grid | None) -> list[int]:
    if grid is None:
        return []
    m = NEARBY_DEGREES
    return list(
        Grid.objects.filter(
            min_lng__lte=grid.max_lng + m,
            max_lng__gte=grid.min_lng - m,
            min_lat__lte=grid.max_lat + m,
            max_lat__gte=grid.min_lat - m,
        ).values_list("id", flat=True)[:50]
    )


def close_matter_ids(matter_ids: Sequence[int]) -> list[int]:
    """The given matters and the others of their domains in the same duty list ("close" matters)."""
    if not matter_ids:
        return []
    return list(_close_matter_ids(tuple(sorted(set(matter_ids)))))


@lru_cache(maxsize=4096)
def _close_matter_ids(matter_ids: tuple[int, ...]) -> tuple[int, ...]:
    # Cached per process: a matter's duty list and domain never change once the list is published.
    pairs = Matter.objects.filter(pk__in=matter_ids).values_list("duty_list_id", "domain_id")
    q = Q(pk__in=matter_ids)
    for duty_list_id, domain_id in set(pairs):
        q |= Q(duty_list_id=duty_list_id, domain_id=domain_id)
    return tuple(Matter.objects.filter(q).values_list("id", flat=True))


def find_duplicates(
    *,
    subject: str,
    body: str,
    street,
    grid: Grid | None = None,
    community_id: int | None = None,
    matter_ids: Sequence[int] = (),
    exclude_id: int | None = None,
    received_at: dt.datetime | None = None,
    limit: int = 5,
    min_score: float = MIN_SCORE,
) -> list[DuplicateCandidate]:
    """Open demands probably about the same problem, best first."""
    mine = fingerprint(join_text(subject, body[:BODY_HEAD] if body else ""))
    if not len(mine) or street is None:
        return []
    since = (received_at or timezone.now()) - dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    place = Q(street=street)
    nearby = nearby_grid_ids(grid)
    if nearby:
        place |= Q(grid_id__in=nearby)
    qs = Demand.objects.filter(place, state__in=OPEN_STATES, received_at__gte=since)
    close = close_matter_ids(matter_ids)
    if close:
        qs = qs.filter(Q(matter_id__in=close) | Q(matter__isnull=True))
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    # First pass: only what the score needs — the stored fingerprint, no text to fetch or normalise.
    rows = list(
        qs.order_by("-received_at").values_list(
            "id", "matter_id", "grid_id", "community_id", "routing_fingerprint__bigrams"
        )[:MAX_CANDIDATES]
    )
    missing = [row[0] for row in rows if row[4] is None]
    computed = stored_fingerprints(missing) if missing else {}
    size, floor = len(mine), min_score - 0.1  # the bonuses add at most 0.1
    keep, arrays = [], []
    for pk, matter_id, grid_id, comm_id, blob in rows:
        theirs = computed.get(pk) if blob is None else np.frombuffer(blob, dtype=np.int64)
        if theirs is None or not len(theirs) or min(size, len(theirs)) < floor * max(size, len(theirs)):
            continue  # Jaccard ≤ smaller / larger: cannot reach the floor
        keep.append((pk, matter_id, grid_id, comm_id, len(theirs)))
        arrays.append(theirs)
    scored: list[tuple[float, float, int, bool, bool]] = []
    if keep:
        # Every candidate's common bigrams with this demand in one pass (sets, so isin counts each once).
        owner = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
        common = np.bincount(owner, weights=np.isin(np.concatenate(arrays), mine), minlength=len(arrays))
        matter_set = set(matter_ids[:1])
        for (pk, matter_id, grid_id, comm_id, n), c in zip(keep, common, strict=True):
            sim = float(c) / (size + n - float(c))
            if sim < floor:
                continue
            same_matter = matter_id is not None and matter_id in matter_set
            same_place = (grid is not None and grid_id == grid.pk) or (
                community_id is not None and comm_id == community_id
            )
            score = min(1.0, sim + 0.05 * same_matter + 0.05 * same_place)
            if score >= min_score:
                scored.append((score, sim, pk, same_matter, same_place))
    scored.sort(key=lambda t: -t[0])
    scored = scored[:limit]
    details = {
        pk: (code, subj, at, state)
        for pk, code, subj, at, state in Demand.objects.filter(pk__in=[t[2] for t in scored]).values_list(
            "id", "tracking_code", "subject", "received_at", "state"
        )
    }
    found = [
        DuplicateCandidate(
            pk, *details[pk][:2], round(score, 3), round(sim, 3), *details[pk][2:], same_matter, same_place
        )
        for score, sim, pk, same_matter, same_place in scored
        if pk in details
    ]
    found.sort(key=lambda c: -c.score)
    return found[:limit]
