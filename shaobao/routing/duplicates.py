"""Duplicates: open demands about the same problem (same place, same or close matter, recent, similar text).

Texts are compared as sets of character bigrams (Jaccard), on the subject and the head of the body, where
a repost keeps the substance of the problem. Candidates come from locality-sensitive hashing, so a lookup
costs the same with a thousand or ten million stored demands:

- when a demand is saved (received, moved to another street, text or time changed) its **fingerprint**
  (the bigrams as sorted int64 keys) is stored, and its 32-value MinHash signature is cut into 16 bands
  of 2 values; each band becomes one `DemandBand` row keyed (street, band key, received, demand);
- a lookup computes the new text's 16 band keys and reads, in **one SQL statement**, the demands sharing
  at least one band in the same street (or in a grid within ~500 m), received in the window — 16 probes
  of the band index, index-only — joined to the demand (open state, close matter) and its fingerprint;
- the exact Jaccard of the few candidates is computed from their fingerprints; scores as before.

Two texts with Jaccard J share a band with probability 1 - (1 - J²)^16: 0.999 at J = 0.6 (a repost with
a few edits measures 0.7-0.9), 0.94 at 0.4, 0.78 at 0.3; unrelated messages (J ≈ 0.01-0.04) rarely do.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from shaobao.core.db import hot_cursor
from shaobao.duties.models import Matter
from shaobao.intake.models import Demand
from shaobao.intake.states import PROBLEM_OPEN_STATES
from shaobao.org.models import Division, Grid
from shaobao.routing.classifier import gram_key, ngram_keys
from shaobao.routing.models import DemandBand, DemandFingerprint
from shaobao.routing.text import join_text, normalise

log = logging.getLogger(__name__)

OPEN_STATES = PROBLEM_OPEN_STATES
MAX_CANDIDATES = 200  # most shared bands first: a bound for a street flooded with one problem's reposts
# PostgreSQL reads at most the newest BAND_DEPTH demands filed under each band key and street, and joins only
# the CANDIDATE_POOL demands sharing the most bands to the demands' rows: in a mass event (thousands of
# reposts in a township within days) a lookup otherwise aggregated and joined every one of them (6,200 joins,
# 40-70 ms at 10,000 demands in a month, growing with the event). A repost shares most of its 16 bands, so
# it is among the newest sharers of several of them.
BAND_DEPTH = 500
CANDIDATE_POOL = 2 * MAX_CANDIDATES
BODY_HEAD = 200  # characters of the body compared: enough for the substance, cheap to shingle
MIN_SCORE = 0.35
NEARBY_DEGREES = 0.005  # about 500 m: grids this close to the demand's grid count as "nearby"
NEARBY_GRIDS = 50


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


BANDS, ROWS_PER_BAND = 16, 2
MINHASH_K = BANDS * ROWS_PER_BAND
_RNG = np.random.default_rng(20261121)  # fixed: stored band keys must stay comparable
_MH_A = _RNG.integers(1, 2**63, size=MINHASH_K, dtype=np.uint64) | np.uint64(1)
_MH_B = _RNG.integers(0, 2**63, size=MINHASH_K, dtype=np.uint64)
_BAND_MIX = _RNG.integers(1, 2**63, size=ROWS_PER_BAND, dtype=np.uint64) | np.uint64(1)
_BAND_SALT = _RNG.integers(0, 2**63, size=BANDS, dtype=np.uint64)  # band i's keys never meet band j's


def minhash(fp: np.ndarray) -> np.ndarray:
    """32 MinHash values of a fingerprint (multiply-shift hashing of the bigram keys, mod 2^64)."""
    if not len(fp):
        return np.zeros(MINHASH_K, dtype=np.uint32)
    hashed = (fp.astype(np.uint64)[:, None] * _MH_A + _MH_B) >> np.uint64(32)
    return hashed.min(axis=0).astype(np.uint32)


def band_keys(fp: np.ndarray) -> list[int]:
    """The 16 band keys of a fingerprint: each band's 2 MinHash values and its number, hashed to a signed
    32-bit integer (the column is an int4: a smaller index; an accidental match costs one extra candidate,
    about once in 4 billion probes). Empty text: no bands."""
    if not len(fp):
        return []
    pairs = minhash(fp).astype(np.uint64).reshape(BANDS, ROWS_PER_BAND)
    mixed = (pairs * _BAND_MIX).sum(axis=1, dtype=np.uint64) + _BAND_SALT  # wraps mod 2^64, on purpose
    mixed ^= mixed >> np.uint64(31)
    return (mixed >> np.uint64(32)).astype(np.uint32).view(np.int32).tolist()


_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus "_": this drops exactly the non-alphanumerics


def _compact(text: str) -> str:
    return _NOT_ALNUM.sub("", normalise(text, limit=BODY_HEAD + 200))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# ------------------------------------------------------------------------------------------- writing


FILED_FIELDS = frozenset({"subject", "body", "street", "received_at"})  # what fingerprint and bands use


def file_demand(demand, *, created: bool) -> None:
    """Store a saved demand's fingerprint and file its bands (in the caller's transaction).

    For a new demand: one statement on PostgreSQL (two on SQLite); measured at 1 M demands ~0.9 ms of
    client CPU (a third of it normalising the text) and ~0.5 ms of database CPU. A demand saved again is
    filed again (old bands removed) only when `FILED_FIELDS` changed. Bypassed by bulk writes (COPY,
    `bulk_create`, `QuerySet.update`): `manage.py fingerprint_demands` files those.
    """
    head = (demand.body or "")[:BODY_HEAD]
    row = (demand.pk, demand.subject, head, demand.street_id, demand.received_at)
    file_demands([row], refile=not created)


def file_demands(rows: Iterable[tuple], *, refile: bool = True) -> int:
    """Fingerprint and band rows for (id, subject, body head, street id, received at) tuples.

    `refile`: these demands may have bands filed under an older street or time — remove those first.
    Returns how many demands were written."""
    rows = list(rows)
    if not rows:
        return 0
    if refile:
        forget_demands([r[0] for r in rows])
    fps, bands = [], []
    for pk, subject, head, street_id, received_at in rows:
        fp = fingerprint(join_text(subject, head))
        fps.append((pk, fp.tobytes(), len(fp), street_id, received_at))
        if street_id is not None:
            bands.extend((street_id, key, received_at, pk) for key in band_keys(fp))
    with hot_cursor() as cur:
        if connection.vendor == "postgresql":
            _write_pg(cur, fps, bands)
        else:
            _write_portable(cur, fps, bands)
    return len(rows)


_FP_UPSERT = (
    "ON CONFLICT (demand_id) DO UPDATE SET bigrams = excluded.bigrams, size = excluded.size, "
    "street_id = excluded.street_id, received_at = excluded.received_at"
)


def _write_pg(cur, fps: list[tuple], bands: list[tuple]) -> None:
    """PostgreSQL: columns as arrays, so a statement has 9 parameters whatever the number of rows (cheap
    to send and to convert); a single demand (intake) is one statement, its fingerprint in a CTE."""
    fp_cols = "demand_id, bigrams, size, street_id, received_at"
    band_cols = "street_id, key, received_at, demand_id"
    if len(fps) == 1:
        pk, blob, size, street_id, at = fps[0]
        keys = [key for _, key, _, _ in bands]
        cur.execute(
            f"WITH f AS (INSERT INTO {_FP} ({fp_cols}) VALUES (%s, %s, %s, %s, %s) {_FP_UPSERT}) "
            f"INSERT INTO {_BAND} ({band_cols}) "
            "SELECT %s::int, unnest(%s::int[]), %s::timestamptz, %s::bigint ON CONFLICT DO NOTHING",
            [pk, blob, size, street_id, at, street_id, keys, at, pk],
        )
        return
    for start in range(0, len(fps), 1000):
        part = list(zip(*fps[start : start + 1000], strict=True))
        cur.execute(
            f"INSERT INTO {_FP} ({fp_cols}) SELECT * FROM "
            f"unnest(%s::bigint[], %s::bytea[], %s::int[], %s::int[], %s::timestamptz[]) {_FP_UPSERT}",
            [list(col) for col in part],
        )
    bands.sort()  # the index's order: consecutive inserts land on the same leaf pages
    for start in range(0, len(bands), 16_000):
        part = list(zip(*bands[start : start + 16_000], strict=True))
        cur.execute(
            f"INSERT INTO {_BAND} ({band_cols}) SELECT * FROM "
            "unnest(%s::int[], %s::int[], %s::timestamptz[], %s::bigint[]) ON CONFLICT DO NOTHING",
            [list(col) for col in part],
        )


def _write_portable(cur, fps: list[tuple], bands: list[tuple]) -> None:
    """SQLite (and any other database): multi-row VALUES."""
    adapt = connection.ops.adapt_datetimefield_value
    fps = [(*r[:4], adapt(r[4])) for r in fps]
    bands = [(r[0], r[1], adapt(r[2]), r[3]) for r in bands]
    cols = "demand_id, bigrams, size, street_id, received_at"
    _insert(cur, f"INSERT INTO {_FP} ({cols}) VALUES {{values}} {_FP_UPSERT}", fps, 5)
    cols = "street_id, key, received_at, demand_id"
    _insert(cur, f"INSERT INTO {_BAND} ({cols}) VALUES {{values}} ON CONFLICT DO NOTHING", bands, 4)


def forget_demands(ids: Sequence[int]) -> None:
    """Remove the bands filed for these demands (found from their stored fingerprints)."""
    if not ids:
        return
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT demand_id, street_id, received_at, bigrams FROM {_FP} "
            f"WHERE street_id IS NOT NULL AND demand_id IN ({_marks(len(ids))})",
            list(ids),
        )
        stored = cur.fetchall()
        for pk, street_id, received_at, blob in stored:
            keys = band_keys(np.frombuffer(bytes(blob), dtype=np.int64))
            if keys:  # the primary key's own order: 16 index probes, no scan
                cur.execute(
                    f"DELETE FROM {_BAND} WHERE street_id = %s AND key IN ({_marks(len(keys))}) "
                    "AND received_at = %s AND demand_id = %s",
                    [street_id, *keys, connection.ops.adapt_datetimefield_value(_aware(received_at)), pk],
                )


def on_demand_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw:  # fixtures being loaded: `fingerprint_demands` files them afterwards
        return
    if created or update_fields is None or not FILED_FIELDS.isdisjoint(update_fields):
        try:
            file_demand(instance, created=created)
        except Exception:  # noqa: BLE001 - derived data: never refuse a demand for it (the backfill repairs)
            log.exception("could not file the duplicate fingerprint of demand %s", instance.pk)


def on_demand_deleted(sender, instance, **kwargs) -> None:
    forget_demands([instance.pk])  # the fingerprint row goes with the demand (cascade)


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


def _values(n: int, width: int) -> str:
    one = f"({_marks(width)})"
    return ", ".join([one] * n)


def _insert(cur, sql: str, rows: list[tuple], width: int, chunk: int = 500) -> None:
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        cur.execute(sql.format(values=_values(len(part), width)), [v for r in part for v in r])


_FP = DemandFingerprint._meta.db_table
_BAND = DemandBand._meta.db_table


# ------------------------------------------------------------------------------------------- reading


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
        ).values_list("id", flat=True)[:NEARBY_GRIDS]
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


@lru_cache(maxsize=32)
def _lookup_sql(pg: bool, keys: int, nearby: bool, close: int, exclude: bool) -> str:
    """The one statement of a lookup.

    `cand` is the blocking step: the band index probed once per key, in the street(s) and the window (on
    PostgreSQL newest first, at most BAND_DEPTH entries a probe, and only the CANDIDATE_POOL demands sharing
    the most bands kept: a mass event's lookup stays bounded); only then are the demands read (state and matter may have changed since they were filed) with their
    fingerprints. Nearby grids come from the same statement (their bounding boxes), with their streets.
    PostgreSQL gets the key and matter lists as one array parameter each: the same text every time, so
    `core.db.hot_cursor` prepares it once per connection and PostgreSQL reuses its plan (measured at 1 M
    demands: the backend's CPU per lookup ~2 ms unprepared, ~0.85 ms prepared); SQLite one parameter per
    value.
    """

    def one_of(column: str, n: int, array_type: str) -> str:
        return f"{column} = ANY(%s::{array_type}[])" if pg else f"{column} IN ({_marks(n)})"

    near = (
        f"near AS (SELECT g.id, c.parent_id AS street_id FROM {Grid._meta.db_table} g "
        f"JOIN {Division._meta.db_table} c ON c.id = g.community_id "
        "WHERE g.min_lng <= %s AND g.max_lng >= %s AND g.min_lat <= %s AND g.max_lat >= %s "
        f"LIMIT {NEARBY_GRIDS}), "
        if nearby
        else ""
    )
    streets = "SELECT CAST(%s AS bigint) AS id" + (" UNION SELECT street_id FROM near" if nearby else "")
    place = "(d.street_id = %s OR d.grid_id IN (SELECT id FROM near))" if nearby else "d.street_id = %s"
    matter = f" AND ({one_of('d.matter_id', close, 'bigint')} OR d.matter_id IS NULL)" if close else ""
    states = ", ".join(f"'{state}'" for state in OPEN_STATES)  # constants of the code, not input
    if pg:  # each (street, key) probed newest first and cut at BAND_DEPTH; the pool cut before the join
        cand = (
            f"streets AS ({streets}), cand AS (SELECT p.demand_id, COUNT(*) AS hits FROM streets s "
            "CROSS JOIN unnest(%s::int[]) k(key) CROSS JOIN LATERAL "
            f"(SELECT b.demand_id FROM {_BAND} b WHERE b.street_id = s.id AND b.key = k.key "
            f"AND b.received_at >= %s ORDER BY b.received_at DESC LIMIT {BAND_DEPTH}) p "
            f"GROUP BY p.demand_id ORDER BY COUNT(*) DESC, p.demand_id DESC LIMIT {CANDIDATE_POOL}) "
        )
    else:  # SQLite (no LATERAL): a district's bands, all of them
        cand = (
            f"cand AS (SELECT b.demand_id, COUNT(*) AS hits FROM {_BAND} b WHERE b.street_id IN ({streets}) "
            f"AND {one_of('b.key', keys, 'int')} AND b.received_at >= %s GROUP BY b.demand_id) "
        )
    columns = "d.id, d.matter_id, d.grid_id, d.community_id, f.bigrams, d.tracking_code, d.subject, "
    columns += "d.received_at, d.state"
    demand = (
        f"{Demand._meta.db_table} d JOIN {_FP} f ON f.demand_id = d.id "
        f"WHERE d.state IN ({states}) AND d.received_at >= %s AND {place}{matter}"
        + (" AND d.id <> %s" if exclude else "")
    )
    order = f" ORDER BY cand.hits DESC, d.received_at DESC, d.id DESC LIMIT {MAX_CANDIDATES}"
    if pg:
        # Each candidate read by its primary key (LIMIT 1 keeps the subquery apart): joined, PostgreSQL
        # scanned the street's open demands of the month once per candidate when it misjudged their
        # number (a mass event: 500,000 row comparisons, and ~1 s once the prepared statement's generic
        # plan took over).
        return (
            f"WITH {near}{cand}SELECT d.* FROM cand CROSS JOIN LATERAL "
            f"(SELECT {columns} FROM {demand} AND d.id = cand.demand_id LIMIT 1) d{order}"
        )
    return f"WITH {near}{cand}SELECT {columns} FROM cand JOIN {demand} AND d.id = cand.demand_id{order}"


def candidate_query(
    *,
    text_fp: np.ndarray,
    street_id: int,
    grid: Grid | None,
    since: dt.datetime,
    close: Sequence[int],
    exclude_id: int | None,
) -> tuple[str, list]:
    """SQL and parameters of a lookup (shown by the benchmark's EXPLAIN)."""
    pg = connection.vendor == "postgresql"
    keys = band_keys(text_fp)
    at = since if pg else connection.ops.adapt_datetimefield_value(since)
    params: list = []
    if grid is not None:
        m = NEARBY_DEGREES
        params += [grid.max_lng + m, grid.min_lng - m, grid.max_lat + m, grid.min_lat - m]
    params += [street_id, *([keys] if pg else keys), at, at, street_id]
    if close:
        params += [list(close)] if pg else close
    if exclude_id:
        params.append(exclude_id)
    return _lookup_sql(pg, len(keys), grid is not None, len(close), bool(exclude_id)), params


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
    """Open demands probably about the same problem, best first (one query)."""
    mine = fingerprint(join_text(subject, body[:BODY_HEAD] if body else ""))
    if not len(mine) or street is None:
        return []
    since = (received_at or timezone.now()) - dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    close = close_matter_ids(matter_ids)
    sql, params = candidate_query(
        text_fp=mine,
        street_id=getattr(street, "pk", street),
        grid=grid,
        since=since,
        close=close,
        exclude_id=exclude_id,
    )
    with hot_cursor() as cur:  # PostgreSQL: prepared once per connection (see core.db)
        cur.execute(sql, params)
        rows = cur.fetchall()
    size, floor = len(mine), min_score - 0.1  # the bonuses add at most 0.1
    kept, arrays = [], []
    for row in rows:
        theirs = np.frombuffer(bytes(row[4]), dtype=np.int64)
        n = len(theirs)
        if n and min(size, n) >= floor * max(size, n):  # else Jaccard ≤ smaller / larger < floor
            kept.append(row)
            arrays.append(theirs)
    if not kept:
        return []
    # Every candidate's common bigrams with this demand in one pass (sets, so isin counts each once).
    owner = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
    common = np.bincount(owner, weights=np.isin(np.concatenate(arrays), mine), minlength=len(arrays))
    matter_set = set(matter_ids[:1])
    found = []
    for row, theirs, c in zip(kept, arrays, common, strict=True):
        pk, matter_id, grid_id, comm_id, _, code, subj, at, state = row
        sim = float(c) / (size + len(theirs) - float(c))
        if sim < floor:
            continue
        same_matter = matter_id is not None and matter_id in matter_set
        same_place = (grid is not None and grid_id == grid.pk) or (
            community_id is not None and comm_id == community_id
        )
        score = min(1.0, sim + 0.05 * same_matter + 0.05 * same_place)
        if score >= min_score:
            found.append(
                DuplicateCandidate(
                    pk, code, subj, round(score, 3), round(sim, 3), _aware(at), state, same_matter, same_place
                )
            )
    found.sort(key=lambda c: -c.score)  # stable: ties keep the query's order (more bands, newer)
    return found[:limit]


def _aware(value) -> dt.datetime:
    """A datetime read by raw SQL: SQLite gives naive UTC (or text), PostgreSQL aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
