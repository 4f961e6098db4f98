"""The rollup job: sum `facts` per day × unit/street/matter/district into `DailyRollup`.

Rebuilding whole days (delete + insert in one transaction) keeps it idempotent and crash-safe: a run that
dies leaves the previous rows. The default window (settings.EVALUATION_ROLLUP_DAYS, 62 days: this month and
the last) catches late changes — a late report-in, a callback, a rework; `--since DATE` rebuilds older days.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from shaobao.evaluation.facts import (
    COARSE_BOUNDS,
    COARSE_COLUMNS,
    COUNTERS,
    HIST_OF,
    SUMMONS_FIELDS,
    DemandRow,
    SummonsRow,
    _tz,
    coarse_index,
    demand_facts,
    demand_keys,
    hours_bucket,
    summons_facts,
    summons_keys,
)
from shaobao.evaluation.models import DailyRollup, MonthlyRollup, RollupRun

Cell = dict  # {"counters": {name: value}, "report_hist": {bucket: n}, "finish_hist": {bucket: n}}


def day_bounds(first_day: dt.date, last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in aware datetimes for the local days first_day..last_day inclusive."""
    tz = _tz()
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def district_maps() -> tuple[dict[int, int], dict[int, int]]:
    from shaobao.duties.models import Matter
    from shaobao.org.models import Division

    streets = dict(Division.objects.filter(level="street").values_list("id", "parent_id"))
    matters = dict(Matter.objects.values_list("id", "duty_list__district_id"))
    return streets, matters


SUMMONS_DATES = ("summoned_at", "report_in_due", "finish_due", "whistle__closed_at")
DEMAND_DATES = ("received_at", "called_back_at")


def _within_any(fields, start: dt.datetime, end: dt.datetime) -> Q:
    q = Q(pk__in=[])
    for field in fields:
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def summons_rows(
    start: dt.datetime, end: dt.datetime, extra: Q | None = None, dated_on=SUMMONS_DATES
) -> Iterator[SummonsRow]:
    """Summonses with any attributed timestamp in [start, end) (only the `dated_on` ones: a caller that
    needs only some counters passes the dates they are attributed to, see facts)."""
    from shaobao.whistles.models import Summons

    q = _within_any(dated_on, start, end)
    qs = Summons.objects.filter(q)
    if extra is not None:
        qs = qs.filter(extra)
    for values in qs.order_by().values_list(*SUMMONS_FIELDS).iterator(chunk_size=20000):
        yield SummonsRow(*values)


def demand_rows(
    start: dt.datetime, end: dt.datetime, extra: Q | None = None, dated_on=DEMAND_DATES
) -> Iterator[DemandRow]:
    """Demands received or called back in [start, end), with the unit their callback is credited to:
    the street unit it was assigned to, else the lead unit of its latest whistle (COALESCE in that order,
    so the lookup runs only for whistled demands)."""
    from shaobao.intake.models import Demand
    from shaobao.whistles.models import Summons

    lead = (
        Summons.objects.filter(whistle__demands=OuterRef("pk"), role="lead")
        .exclude(state="withdrawn")
        .order_by("-whistle__blown_at", "-id")
        .values("unit_id")[:1]
    )
    qs = Demand.objects.filter(_within_any(dated_on, start, end))
    if extra is not None:
        qs = qs.filter(extra)
    qs = qs.order_by().annotate(
        credit_unit=Coalesce(F("assigned_unit_id"), Subquery(lead), output_field=BigIntegerField())
    )
    fields = ("id", "street_id", "matter_id", "credit_unit", "state", "received_at", "called_back_at")
    for values in qs.values_list(*fields, "solved", "satisfaction").iterator(chunk_size=20000):
        yield DemandRow(*values)


def new_cell() -> Cell:
    return {"counters": defaultdict(float), "report_hist": defaultdict(int), "finish_hist": defaultdict(int)}


def add_fact(cell: Cell, counter: str, value: float) -> None:
    cell["counters"][counter] += value
    hist = HIST_OF.get(counter)
    if hist:
        cell[hist][hours_bucket(value)] += 1


def accumulate(
    first_day: dt.date,
    last_day: dt.date,
    as_of: dt.datetime,
    *,
    by_day: bool,
    summons: Iterable[SummonsRow] | None = None,
    demands: Iterable[DemandRow] | None = None,
) -> dict[tuple, Cell]:
    """Cells keyed (dim, key, day) when by_day, else (dim, key), from every fact dated in the days."""
    start, end = day_bounds(first_day, last_day)
    streets, matters = district_maps()
    cells: dict[tuple, Cell] = defaultdict(new_cell)
    for s in summons if summons is not None else summons_rows(start, end):
        keys = summons_keys(s, streets)
        for day, counter, value in summons_facts(s, as_of):
            if first_day <= day <= last_day:
                for dim, key in keys:
                    add_fact(cells[(dim, key, day) if by_day else (dim, key)], counter, value)
    for d in demands if demands is not None else demand_rows(start, end):
        keys = demand_keys(d, streets, matters)
        for day, counter, value in demand_facts(d, as_of):
            if first_day <= day <= last_day:
                for dim, key in keys:
                    add_fact(cells[(dim, key, day) if by_day else (dim, key)], counter, value)
    return cells


COARSE = COARSE_COLUMNS["report_hist"] + COARSE_COLUMNS["finish_hist"]
DAILY_COLUMNS = ("day", "dim", "key", *COUNTERS, "report_hist", "finish_hist", *COARSE)


def _coarse_counts(hist: dict) -> list[int]:
    counts = [0] * len(COARSE_BOUNDS)
    for bucket, n in hist.items():
        counts[coarse_index(int(bucket))] += n
    return counts


def _row(dim: str, key: int, day: dt.date, cell: Cell) -> tuple:
    """A DailyRollup row in DAILY_COLUMNS order."""
    counters = cell["counters"]
    return (
        day,
        dim,
        key,
        *(int(counters.get(name, 0)) for name in COUNTERS),
        json.dumps({str(k): v for k, v in cell["report_hist"].items()}),
        json.dumps({str(k): v for k, v in cell["finish_hist"].items()}),
        *_coarse_counts(cell["report_hist"]),
        *_coarse_counts(cell["finish_hist"]),
    )


def sql_cells(first_day: dt.date, last_day: dt.date, as_of: dt.datetime) -> dict[tuple, Cell]:
    """Cells keyed (dim, key, day), aggregated by the database (see rollup_sql)."""
    from shaobao.evaluation.rollup_sql import demand_cells, summons_cells

    start, end = day_bounds(first_day, last_day)
    cells: dict[tuple, Cell] = defaultdict(new_cell)
    for source in (summons_cells(start, end, as_of), demand_cells(start, end, as_of)):
        for dim, key, day, name, value in source:
            cell = cells[(dim, key, day)]
            if name in ("report_hist", "finish_hist"):
                bucket, n = value
                cell[name][int(bucket)] += n
            else:
                cell["counters"][name] += value
    return cells


def rollup_days(
    first_day: dt.date,
    last_day: dt.date | None = None,
    *,
    as_of: dt.datetime | None = None,
    in_python: bool = False,
) -> RollupRun:
    """Rebuild the rollup rows of the days first_day..last_day (default: 62 days after today).

    The counters are aggregated by the database (`rollup_sql`); `in_python=True` sums `facts` row by row
    instead (slow, the reference the SQL is tested against).
    """
    started = time.perf_counter()
    as_of = as_of or timezone.now()
    last_day = last_day or as_of.astimezone(_tz()).date() + dt.timedelta(days=62)
    table = DailyRollup._meta.db_table
    if connection.vendor == "postgresql" and not in_python:
        # Set-based in the database: nothing but the row count comes back (rollup_sql.pg_cell_tables).
        # Whole months are rebuilt (the fine hours histograms are summed per month, not per day).
        from shaobao.evaluation import rollup_sql

        first_day = first_day.replace(day=1)
        last_day = (last_day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        start, end = day_bounds(first_day, last_day)
        with transaction.atomic(), connection.cursor() as cursor:
            # Big hash aggregates (a year of ten million demands) stay in memory instead of spilling to
            # disk; this batch job is the only session asking.
            cursor.execute("SET LOCAL work_mem = '1GB'")
            cursor.execute(f"DELETE FROM {table} WHERE day >= %s AND day <= %s", [first_day, last_day])
            rollup_sql.pg_cell_tables(cursor, start, end, as_of)
            written = rollup_sql.pg_insert_rows(
                cursor, table, MonthlyRollup._meta.db_table, first_day, last_day
            )
            return RollupRun.objects.create(
                as_of=as_of,
                first_day=first_day,
                last_day=last_day,
                rows=written,
                seconds=round(time.perf_counter() - started, 3),
            )
    if in_python:
        cells = accumulate(first_day, last_day, as_of, by_day=True)
    else:
        cells = sql_cells(first_day, last_day, as_of)
    rows = [_row(dim, key, day, cell) for (dim, key, day), cell in cells.items()]
    columns = DAILY_COLUMNS
    with transaction.atomic():
        DailyRollup.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
                )
                for i in range(0, len(rows), 5000):
                    cursor.executemany(sql, rows[i : i + 5000])
        rebuild_months(first_day, last_day)
        run = RollupRun.objects.create(
            as_of=as_of,
            first_day=first_day,
            last_day=last_day,
            rows=len(rows),
            seconds=round(time.perf_counter() - started, 3),
        )
    return run


def rebuild_months(first_day: dt.date, last_day: dt.date) -> int:
    """Re-sum `MonthlyRollup` for every calendar month touching first_day..last_day from the daily rows."""
    month = first_day.replace(day=1)
    written = 0
    while month <= last_day:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        cells: dict[tuple, Cell] = defaultdict(new_cell)
        rows = DailyRollup.objects.filter(day__gte=month, day__lt=following).values_list(
            "dim", "key", *COUNTERS, "report_hist", "finish_hist"
        )
        width = len(COUNTERS)
        for row in rows.iterator(chunk_size=5000):
            cell = cells[(row[0], row[1])]
            counters = cell["counters"]
            for name, value in zip(COUNTERS, row[2 : 2 + width], strict=True):
                if value:
                    counters[name] += value
            for column, hist in (("report_hist", row[-2]), ("finish_hist", row[-1])):
                for bucket, n in hist.items():
                    cell[column][int(bucket)] += n
        MonthlyRollup.objects.filter(month=month).delete()
        MonthlyRollup.objects.bulk_create(
            [
                MonthlyRollup(month=month, **dict(zip(("dim", "key"), key, strict=True)), **_fields(cell))
                for key, cell in cells.items()
            ],
            batch_size=2000,
        )
        written += len(cells)
        month = following
    return written


def _fields(cell: Cell) -> dict:
    counters = cell["counters"]
    return {
        **{name: int(counters.get(name, 0)) for name in COUNTERS},
        "report_hist": {str(k): v for k, v in cell["report_hist"].items()},
        "finish_hist": {str(k): v for k, v in cell["finish_hist"].items()},
    }


def rollup_recent(*, as_of: dt.datetime | None = None) -> RollupRun:
    """The periodic pass: EVALUATION_ROLLUP_DAYS days back and forward from today.

    Forward too, because a deadline can lie ahead of today while the unit has already met it (a finish
    due next week, done today): that fact is dated on the due day.
    """
    as_of = as_of or timezone.now()
    days = getattr(settings, "EVALUATION_ROLLUP_DAYS", 62)
    today = as_of.astimezone(_tz()).date()
    return rollup_days(today - dt.timedelta(days=days), today + dt.timedelta(days=days), as_of=as_of)


def last_as_of() -> dt.datetime | None:
    run = RollupRun.objects.order_by("-as_of", "-id").first()
    return run.as_of if run else None
