"""Monthly partitions of the append-only tables on PostgreSQL (docs/scale.md); nothing on SQLite.

The one place that knows which tables are partitioned and how. `core_event` (the audit record: append-only,
no foreign key points at it) is declaratively partitioned by month on `at`: one partition per calendar month
in the installation's time zone (`core_event_p202612`), and a default partition so that an insert never fails
when the coming months' partitions were not created in time. Its primary key is (id, at) in the database —
PostgreSQL wants the partition key in every unique key — while Django keeps `id` as the model's key: ids come
from one identity sequence, so they stay unique.

Why: the history grows by some 5 million events a day in a province; with monthly partitions, reads of a
recent window (the sweep, the open demands' histories, the Open311 feed) touch the months they name only
(partition pruning), the old months' indexes stop being written, and an old month can be detached and
archived in one statement instead of a DELETE of millions of rows.

`ensure_partitions()` creates the coming months' partitions (the huey task `core.tasks.ensure_partitions_daily`
and `manage.py ensure_partitions`); rows that fell into the default partition for a month are moved into that
month's partition when it is created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

DEFAULT_MONTHS_AHEAD = 3


@dataclass(frozen=True)
class Partitioned:
    table: str  # the parent table
    column: str  # the range partition key (a timestamp with time zone)


PARTITIONED = (Partitioned("core_event", "at"),)


def enabled(conn=None) -> bool:
    return (conn or connection).vendor == "postgresql"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(day: dt.date) -> dt.datetime:
    """The first instant of `day`'s month, in the installation's time zone."""
    return dt.datetime(day.year, day.month, 1, tzinfo=_zone())


def next_month(start: dt.datetime) -> dt.datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return dt.datetime(year, month, 1, tzinfo=_zone())


def partition_name(table: str, start: dt.datetime) -> str:
    return f"{table}_p{start.year:04d}{start.month:02d}"


def is_partitioned(table: str, cursor) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace)",
        [table],
    )
    return cursor.fetchone()[0]


def partitions(table: str, cursor) -> list[str]:
    """The partitions of `table` (the default one included), by name."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _create_month(cursor, spec: Partitioned, start: dt.datetime, existing: set[str]) -> str | None:
    """Create the partition of the month starting at `start` unless it exists; rows the default partition
    holds for that month move into it first (attaching would fail otherwise)."""
    name = partition_name(spec.table, start)
    if name in existing:
        return None
    end = next_month(start)
    default = f"{spec.table}_default"
    with transaction.atomic(using=cursor.db.alias):
        cursor.execute(f"CREATE TABLE {name} (LIKE {spec.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        if default in existing:
            cursor.execute(
                f"WITH moved AS (DELETE FROM {default} WHERE {spec.column} >= %s AND {spec.column} < %s "
                f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                [start, end],
            )
        # The bound literals are timestamps with their offset, so a month is the installation's month.
        cursor.execute(
            f"ALTER TABLE {spec.table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
        )
    existing.add(name)
    return name


def ensure_partitions(
    *,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
    today: dt.date | None = None,
    since: dt.date | None = None,
    conn=None,
) -> list[str]:
    """Create this month's and the next `months_ahead` months' partitions of every partitioned table that
    are missing (from `since`'s month on, when given: before importing a history); returns the names
    created. Idempotent; a no-op on SQLite or on a table not partitioned."""
    conn = conn or connection
    if not enabled(conn):
        return []
    from django.utils import timezone

    today = today or timezone.localdate()
    last = month_start(today)
    for _ in range(months_ahead):
        last = next_month(last)
    created = []
    with conn.cursor() as cursor:
        for spec in PARTITIONED:
            if not is_partitioned(spec.table, cursor):
                continue
            existing = set(partitions(spec.table, cursor))
            start = month_start(min(since or today, today))
            while start <= last:
                name = _create_month(cursor, spec, start, existing)
                if name:
                    created.append(name)
                start = next_month(start)
    return created


# --- the migration: an existing table becomes partitioned ------------------------------------------------


def partition_table(schema_editor, spec: Partitioned, *, months_ahead: int = DEFAULT_MONTHS_AHEAD) -> None:
    """Turn the plain table `spec.table` into a table partitioned by month on `spec.column` (PostgreSQL):
    same columns, identity, indexes (same names) and foreign keys, primary key (id, column), one partition
    per month from the oldest row to `months_ahead` months from now, a default partition; rows copied."""
    table, col = spec.table, spec.column
    old = f"{table}_unpartitioned"
    with schema_editor.connection.cursor() as cur:
        if is_partitioned(table, cur):
            return
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisprimary FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass",
            [table],
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [table],
        )
        foreign_keys = cur.fetchall()
        cur.execute(f"SELECT min({col}), max(id) FROM {table}")
        oldest, max_id = cur.fetchone()
        cur.execute(f"ALTER TABLE {table} RENAME TO {old}")
        for name, _definition, primary in indexes:  # free the names for the new table's indexes
            if primary:
                cur.execute(f'ALTER TABLE {old} RENAME CONSTRAINT "{name}" TO "{old}_pkey"')
            else:
                cur.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_old"')
        cur.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS) "
            f"PARTITION BY RANGE ({col})"
        )
        cur.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id, {col})")
        for name, definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition, primary in indexes:
            if not primary:  # read before the rename: it names the new table
                cur.execute(definition)
        cur.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        existing = {f"{table}_default"}
        from django.utils import timezone

        first = timezone.localtime(oldest).date() if oldest else timezone.localdate()
        start, last = month_start(first), month_start(timezone.localdate())
        for _ in range(months_ahead):
            last = next_month(last)
        while start <= last:
            _create_month(cur, spec, start, existing)
            start = next_month(start)
        cur.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        if max_id:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max_id])
        cur.execute(f"DROP TABLE {old}")


def unpartition_table(schema_editor, spec: Partitioned) -> None:
    """The migration's reverse: a plain table again, primary key (id), the same indexes and rows."""
    table = spec.table
    old = f"{table}_partitioned"
    with schema_editor.connection.cursor() as cur:
        if not is_partitioned(table, cur):
            return
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
            [table],
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [table],
        )
        foreign_keys = cur.fetchall()
        cur.execute(f"SELECT max(id) FROM {table}")
        max_id = cur.fetchone()[0]
        cur.execute(f"ALTER TABLE {table} RENAME TO {old}")
        for name, _definition in indexes:
            cur.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_old"')
        cur.execute(f'ALTER TABLE {old} RENAME CONSTRAINT "{table}_pkey" TO "{old}_pkey"')
        cur.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY)")
        cur.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        cur.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        for name, definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cur.execute(definition.replace(f"ON ONLY public.{table} ", f"ON {table} ", 1))
        if max_id:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max_id])
        cur.execute(f"DROP TABLE {old}")
