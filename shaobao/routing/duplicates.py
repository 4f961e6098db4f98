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


MINHASH_K = 32
_RNG = np.random.default_rng(20261121)  # fixed: stored signatures must stay comparable
_MH_A = _RNG.integers(1, 2**63, size=MINHASH_K, dtype=np.uint64) | np.uint64(1)
_MH_B = _RNG.integers(0, 2**63, size=MINHASH_K, dtype=np.uint64)
PREFILTER_MARGIN = 0.15  # a 32-value MinHash estimate errs by ≤ ~0.09 (1 sd): misses need > 1.7 sd


def minhash(fp: np.ndarray) -> np.ndarray:
    """32 MinHash values of a fingerprint (multiply-shift hashing of the bigram keys, mod 2^64)."""
    if not len(fp):
        return np.zeros(MINHASH_K, dtype=np.uint32)
    hashed = (fp.astype(np.uint64)[:, None] * _MH_A + _MH_B) >> np.uint64(32)
    return hashed.min(axis=0).astype(np.uint32)


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
        [
            DemandFingerprint(demand_id=pk, bigrams=fp.tobytes(), size=len(fp), minhash=minhash(fp).tobytes())
            for pk, fp in found.items()
        ],
        update_conflicts=True,  # another lookup may have stored it meanwhile; or an older, partial row
        unique_fields=["demand"],
        update_fields=["bigrams", "size", "minhash"],
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


def _close_matter_ids(matter_ids: tuple[int, ...]) -> tuple[int, ...]:
    by_id, by_group = _matter_groups()
    if any(pk not in by_id for pk in matter_ids):  # a matter created since: load again, once
        _matter_groups.cache_clear()
        by_id, by_group = _matter_groups()
    close = set(matter_ids)
    for pk in matter_ids:
        if pk in by_id:
            close.update(by_group[by_id[pk]])
    return tuple(sorted(close))


def clear_cache() -> None:
    _matter_groups.cache_clear()


@lru_cache(maxsize=1)
def _matter_groups() -> tuple[dict[int, tuple[int, int]], dict[tuple[int, int], list[int]]]:
    """Every matter's (duty list, domain), and the matters of each: one query per process, not two per
    lookup (a matter's duty list and domain never change once the list is published)."""
    by_id: dict[int, tuple[int, int]] = {}
    by_group: dict[tuple[int, int], list[int]] = {}
    for pk, duty_list_id, domain_id in Matter.objects.values_list("id", "duty_list_id", "domain_id"):
        by_id[pk] = (duty_list_id, domain_id)
        by_group.setdefault((duty_list_id, domain_id), []).append(pk)
    return by_id, by_group


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
    # First pass: sizes and 128-byte MinHash signatures only — no text to fetch or normalise.
    rows = list(
        qs.order_by("-received_at").values_list(
            "id",
            "matter_id",
            "grid_id",
            "community_id",
            "routing_fingerprint__size",
            "routing_fingerprint__minhash",
        )[:MAX_CANDIDATES]
    )
    missing = [row[0] for row in rows if not row[5]]
    computed = stored_fingerprints(missing) if missing else {}
    size, floor = len(mine), min_score - 0.1  # the bonuses add at most 0.1
    my_minhash = minhash(mine)
    keep: dict[int, tuple] = {}
    passed, signatures = [], []
    for pk, matter_id, grid_id, comm_id, n, signature in rows:
        if pk in computed:
            n, signature = len(computed[pk]), minhash(computed[pk]).tobytes()
        if not n or min(size, n) < floor * max(size, n):
            continue  # Jaccard ≤ smaller / larger: cannot reach the floor
        passed.append((pk, matter_id, grid_id, comm_id))
        signatures.append(signature)
    if passed:  # every estimate in one comparison of a candidates × 32 matrix
        matrix = np.frombuffer(b"".join(signatures), dtype=np.uint32).reshape(len(passed), MINHASH_K)
        estimates = (matrix == my_minhash).mean(axis=1)
        for (pk, *rest), estimate in zip(passed, estimates, strict=True):
            if estimate >= floor - PREFILTER_MARGIN:
                keep[pk] = tuple(rest)
    # Second pass: the exact bigrams of the few candidates left.
    exact = {pk: computed[pk] for pk in keep if pk in computed}
    wanted = [pk for pk in keep if pk not in exact]
    if wanted:
        for pk, blob in DemandFingerprint.objects.filter(demand_id__in=wanted).values_list(
            "demand_id", "bigrams"
        ):
            exact[pk] = np.frombuffer(blob, dtype=np.int64)
    ids = [pk for pk in keep if pk in exact]
    arrays = [exact[pk] for pk in ids]
    scored: list[tuple[float, float, int, bool, bool]] = []
    if ids:
        # Every candidate's common bigrams with this demand in one pass (sets, so isin counts each once).
        owner = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
        common = np.bincount(owner, weights=np.isin(np.concatenate(arrays), mine), minlength=len(arrays))
        matter_set = set(matter_ids[:1])
        for pk, theirs, c in zip(ids, arrays, common, strict=True):
            matter_id, grid_id, comm_id = keep[pk]
            n = len(theirs)
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
