"""Monthly topic candidates (每月一题): the month's most frequent and fastest-rising problems by matter and
place, from the demands, in two aggregate queries over the month and the monthly counts of the 3 before.

1. Demands of the month, in the district's streets, with a matter, grouped by (matter, street, community,
   grid): one range scan of `received_at`.
2. Repeat callers of the month: the same phone more than once for the same matter and place
   (GROUP BY matter, street, community, phone HAVING COUNT(*) > 1).
3. The 3 months before: `DemandMonthCount` rows, written once per month when it has settled
   (TOPIC_SETTLE_DAYS after its end; `ensure_rolled`, also run nightly by a huey task); a month not yet
   settled is counted from the demands.
The groups are summed up in Python to three levels — street, community, grid (the hot-spot cluster) —
and ranked: most frequent (count), fastest rising (count against the average of the 3 months before).
Repeat places: grids of the place where the matter came up more than once in the month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from shaobao.core.calendar import local_tz
from shaobao.duties.models import Matter
from shaobao.intake.models import Demand
from shaobao.keytasks.models import DemandMonthCount, RolledMonth
from shaobao.org.models import Division, Grid

PREVIOUS_MONTHS = 3


def _month_start(year: int, month: int) -> dt.datetime:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return dt.datetime(year, month, 1, tzinfo=local_tz())


def month_bounds(month: str, shift: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """[first moment, first moment of the next month) of `month` ("YYYY-MM") shifted by `shift` months."""
    if not isinstance(month, str) or len(month) != 7 or month[4] != "-":
        raise ValueError(month)
    year, mon = int(month[:4]), int(month[5:])
    if not 1 <= mon <= 12:
        raise ValueError(month)
    return _month_start(year, mon + shift), _month_start(year, mon + shift + 1)


def month_label(moment: dt.datetime) -> str:
    return f"{moment.astimezone(local_tz()):%Y-%m}"


def last_month(now: dt.datetime) -> str:
    local = now.astimezone(local_tz())
    return month_label(local.replace(day=1) - dt.timedelta(days=1))


def top_n() -> int:
    return int(getattr(settings, "TOPIC_CANDIDATES", 10))


def min_count() -> int:
    """A place's problem is a candidate from this many demands in the month."""
    return int(getattr(settings, "TOPIC_MIN_DEMANDS", 3))


@dataclass
class Candidate:
    level: str
    matter_id: int
    street_id: int
    community_id: int | None
    grid_id: int | None
    count: int = 0
    previous: list[int] = field(default_factory=lambda: [0] * PREVIOUS_MONTHS)  # oldest first
    repeat_callers: int = 0  # phones that called more than once
    repeat_calls: int = 0  # their demands
    repeat_places: int = 0  # grids with more than one demand
    top_grid_id: int | None = None
    top_grid_count: int = 0
    # filled in for display
    matter: str = ""
    matter_code: str = ""
    place: str = ""
    street_code: str = ""
    community_code: str = ""
    grid_code: str = ""

    @property
    def previous_average(self) -> float:
        return sum(self.previous) / PREVIOUS_MONTHS

    @property
    def rise(self) -> float:
        """Growth against the previous months' average (1.0 = doubled); from a base of at least 1."""
        return (self.count - self.previous_average) / max(self.previous_average, 1.0)

    @property
    def order(self) -> tuple:
        return (self.matter_id, self.street_id, self.community_id or 0, self.grid_id or 0)

    @property
    def key(self) -> tuple:
        return (self.level, self.matter_id, self.street_id, self.community_id, self.grid_id)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["previous_average"] = round(self.previous_average, 2)
        out["rise"] = round(self.rise, 3)
        return out


@dataclass
class Candidates:
    month: str
    frequent: list[Candidate]
    rising: list[Candidate]
    demands: int  # the month's demands with a matter and a street in the district


def _streets(district: Division) -> list[int]:
    return list(
        Division.objects.filter(level="street", code__startswith=district.prefix).values_list("pk", flat=True)
    )


def _base(district: Division, start: dt.datetime, end: dt.datetime):
    return Demand.objects.filter(
        received_at__gte=start, received_at__lt=end, matter__isnull=False, street_id__in=_streets(district)
    )


def settle_days() -> int:
    """A month's demands are taken as settled (rolled up for good) this many days after it ends."""
    return int(getattr(settings, "TOPIC_SETTLE_DAYS", 7))


def _db_time(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def ensure_rolled(month: str, *, now: dt.datetime | None = None) -> bool:
    """Write the month's `DemandMonthCount` rows once, if it has settled; True when they are there."""
    from django.utils import timezone

    now = now or timezone.now()
    if RolledMonth.objects.filter(month=month).exists():
        return True
    start, end = month_bounds(month)
    if end + dt.timedelta(days=settle_days()) > now:
        return False
    rows = (
        Demand.objects.filter(
            received_at__gte=start, received_at__lt=end, matter__isnull=False, street__isnull=False
        )
        .values_list("matter_id", "street_id", "community_id", "grid_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                RolledMonth.objects.create(month=month)
        except IntegrityError:
            return True  # another process rolled it up
        DemandMonthCount.objects.bulk_create(
            [DemandMonthCount(month=month, matter_id=m, street_id=s, community_id=c, grid_id=g, n=n)
             for m, s, c, g, n in rows],
            batch_size=2000,
        )  # fmt: skip
    return True


def _groups(district: Division, month: str, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """{(matter, street, community, grid): [n, prev1..prev3 oldest first]} and
    {(matter, street, community): (repeat callers, their calls)}: two aggregates over the month's demands
    (counts per place; phones more than once per matter and place), the 3 months before from their
    monthly counts when settled (else counted from the demands).

    (Measured on 10M demands: one query doing both over the month — a CTE of (place, phone) groups read
    twice — cost about twice the two queries.)"""
    streets = _streets(district)
    m0, m1 = month_bounds(month)
    groups: dict = defaultdict(lambda: [0] * (PREVIOUS_MONTHS + 1))
    callers: dict = defaultdict(lambda: [0, 0])
    month_rows = Demand.objects.filter(
        received_at__gte=m0, received_at__lt=m1, matter__isnull=False, street_id__in=streets
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                # Short aggregates: compiling them (JIT) costs more than it saves; the hash of the month's
                # (place, phone) groups fits in memory instead of spilling to disk.
                cur.execute("SET LOCAL jit = off")
                cur.execute("SET LOCAL work_mem = '128MB'")
        for m, s, c, g, n in (
            month_rows.values_list("matter_id", "street_id", "community_id", "grid_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            groups[(m, s, c, g)][0] += n
        repeats = (
            month_rows.exclude(reporter_phone="")
            .values_list("matter_id", "street_id", "community_id", "reporter_phone")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by()
        )
        for m, s, c, _phone, n in repeats:
            callers[(m, s, c)][0] += 1
            callers[(m, s, c)][1] += n
    for i, k in enumerate(range(PREVIOUS_MONTHS, 0, -1), 1):
        a, b = month_bounds(month, -k)
        label = month_label(a)
        if ensure_rolled(label, now=now):
            rows = DemandMonthCount.objects.filter(month=label, street_id__in=streets).values_list(
                "matter_id", "street_id", "community_id", "grid_id", "n"
            )
        else:
            rows = (
                _base(district, a, b)
                .values_list("matter_id", "street_id", "community_id", "grid_id")
                .annotate(n=Count("id"))
                .order_by()
            )
        for m, s, c, g, n in rows:
            groups[(m, s, c, g)][i] += n
    return groups, callers


def compute(district: Division, month: str) -> Candidates:
    """The month's candidates: top N most frequent and top N fastest rising, over street, community and
    grid places (a place is listed at the finest level that still has `min_count` demands)."""
    groups, callers = _groups(district, month)
    levels: dict[tuple, Candidate] = {}

    def at(level, m, s, c, g) -> Candidate:
        key = (level, m, s, c, g)
        if key not in levels:
            levels[key] = Candidate(level, m, s, c, g)
        return levels[key]

    total = 0
    for (m, s, c, g), (n, *prev) in groups.items():
        total += n
        targets = [at("street", m, s, None, None)]
        if c is not None:
            targets.append(at("community", m, s, c, None))
        if g is not None:
            targets.append(at("grid", m, s, c, g))
        for cand in targets:
            cand.count += n
            cand.previous = [a + b for a, b in zip(cand.previous, prev, strict=True)]
            if g is not None and cand.level != "grid":
                if n > 1:
                    cand.repeat_places += 1
                if n > cand.top_grid_count:
                    cand.top_grid_id, cand.top_grid_count = g, n
    for (m, s, c), (people, calls) in callers.items():
        for key in (("street", m, s, None, None), ("community", m, s, c, None)):
            if key in levels and (key[0] == "street" or c is not None):
                levels[key].repeat_callers += people
                levels[key].repeat_calls += calls
    eligible = [c for c in levels.values() if c.count >= min_count() and c.level != "grid"]
    hot = [c for c in levels.values() if c.count >= min_count() and c.level == "grid"]
    frequent = sorted(eligible + hot, key=lambda c: (-c.count, c.level != "street", c.order))
    rising = sorted((c for c in eligible + hot if c.rise > 0), key=lambda c: (-c.rise, -c.count, c.order))
    frequent, rising = _dedupe(frequent), _dedupe(rising)
    n = top_n()
    frequent, rising = frequent[:n], rising[:n]
    _label(frequent + rising)
    return Candidates(month, frequent, rising, total)


def _dedupe(items: list[Candidate]) -> list[Candidate]:
    """A community or grid that makes up its street's whole figure adds nothing: keep the coarser place."""
    seen: dict[tuple, int] = {}
    out = []
    for c in items:
        parent = (
            (c.matter_id, c.street_id) if c.level != "grid" else (c.matter_id, c.street_id, c.community_id)
        )
        if c.level != "street" and seen.get(parent) == c.count:
            continue
        if c.level == "street":
            seen[(c.matter_id, c.street_id)] = c.count
        elif c.level == "community":
            seen[(c.matter_id, c.street_id, c.community_id)] = c.count
        out.append(c)
    return out


def _label(items: list[Candidate]) -> None:
    matters = {m.pk: m for m in Matter.objects.filter(pk__in={c.matter_id for c in items})}
    div_ids = {c.street_id for c in items} | {c.community_id for c in items if c.community_id}
    divisions = {d.pk: d for d in Division.objects.filter(pk__in=div_ids)}
    grid_ids = {c.grid_id for c in items if c.grid_id} | {c.top_grid_id for c in items if c.top_grid_id}
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=grid_ids)}
    for c in items:
        c.matter, c.matter_code = matters[c.matter_id].name, matters[c.matter_id].code
        street = divisions[c.street_id]
        c.street_code = street.code
        parts = [street.name]
        if c.community_id:
            c.community_code = divisions[c.community_id].code
            parts.append(divisions[c.community_id].name)
        if c.grid_id:
            c.grid_code = grids[c.grid_id].code
            parts.append(grids[c.grid_id].name)
        c.place = " ".join(parts)


def candidate_figures(district, month, matter_id, street_id, community_id, grid_id, level) -> dict:
    """The figures of one candidate (stored on the topic when it is picked)."""
    result = compute_one(district, month, (level, matter_id, street_id, community_id, grid_id))
    return result.as_dict() if result else {}


def compute_one(district, month, key) -> Candidate | None:
    for c in _all(district, month):
        if c.key == key:
            return c
    return None


def _all(district, month) -> list[Candidate]:
    cands = compute(district, month)
    return cands.frequent + cands.rising


# --- the effect of a topic ---------------------------------------------------------------------------------


def before_after(
    topic, *, months_before: int = 6, months_after: int = 6, now: dt.datetime | None = None
) -> dict:
    """Demands of the topic's matter in its place, per month, from `months_before` before the topic's
    month to `months_after` after it (never past the current month): {months, counts, topic_month,
    before_average, after_average}."""
    from django.utils import timezone

    now = now or timezone.now()
    start, _ = month_bounds(topic.month, -months_before)
    _, end = month_bounds(topic.month, months_after)
    _, current_end = month_bounds(month_label(now))
    end = min(end, current_end)
    qs = Demand.objects.filter(
        matter_id=topic.matter_id, street_id=topic.street_id, received_at__gte=start, received_at__lt=end
    )
    if topic.community_id:
        qs = qs.filter(community_id=topic.community_id)
    if topic.grid_id:
        qs = qs.filter(grid_id=topic.grid_id)
    rows = (
        qs.annotate(m=TruncMonth("received_at", tzinfo=local_tz()))
        .values("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_month = {
        month_label(r["m"]) if isinstance(r["m"], dt.datetime) else f"{r['m']:%Y-%m}": r["n"] for r in rows
    }
    months = []
    k = -months_before
    while True:
        a, _b = month_bounds(topic.month, k)
        if a >= end:
            break
        months.append(month_label(a))
        k += 1
    counts = [by_month.get(m, 0) for m in months]
    before = [n for m, n in zip(months, counts, strict=True) if m < topic.month]
    after = [n for m, n in zip(months, counts, strict=True) if m > topic.month]
    return {
        "months": months,
        "counts": counts,
        "topic_month": topic.month,
        "before_average": round(sum(before) / len(before), 1) if before else None,
        "after_average": round(sum(after) / len(after), 1) if after else None,
    }
