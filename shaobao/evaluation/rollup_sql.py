"""The rollup's counters aggregated inside the database: GROUP BY day × unit/street/matter/district.

The same counters as `facts` (which reads row by row in Python and is what the drill-down and the
raw recomputation use), written as conditional aggregates so that a year of ten million demands is a few
dozen scans instead of a Python loop. `tests/evaluation/test_rollup.py` asserts both give identical figures;
if you change a counter, change it in both places — the test will tell you when they disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from shaobao.evaluation.facts import _tz


class EpochSeconds(Func):
    """Whole seconds since 1970 of a timestamp (truncated to the second), on PostgreSQL and SQLite."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM DATE_TRUNC('second', %(expressions)s)) AS BIGINT)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            # '%%%%s': the template's own %-formatting and then the SQLite backend's each halve it.
            compiler,
            connection,
            # substr(…, 1, 19) drops the fraction first: SQLite rounds fractions to milliseconds, which
            # would turn 12:00:00.9996 into 12:00:01 where Python truncates to 12:00:00.
            template="CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)",
            **extra,
        )


def seconds_between(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(
        EpochSeconds(F(later)) - EpochSeconds(F(earlier)), output_field=BigIntegerField()
    )


def bucket_of(secs: str) -> Case:
    """facts.hours_bucket in SQL (integer arithmetic, identical results)."""
    s = F(secs)
    return Case(
        When(**{f"{secs}__lte": 0}, then=Value(1)),
        When(**{f"{secs}__lte": 48 * 3600}, then=(s + 3599) / 3600),
        When(**{f"{secs}__lte": 720 * 3600}, then=(s + 21599) / 21600 * 6),
        default=(s + 86399) / 86400 * 24,
        output_field=BigIntegerField(),
    )


def fixed_offset_minutes(tz) -> int | None:
    """The zone's UTC offset in minutes if it has been constant for years (no DST), else None."""
    year = dt.date.today().year
    offsets = {
        dt.datetime(y, m, 1, 12, tzinfo=tz).utcoffset() for y in (year - 5, year, year + 1) for m in (1, 7)
    }
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


class SqliteLocalDate(Func):
    """date(ts, '+N minutes') for a fixed-offset zone: native SQLite, no Python function per row."""

    output_field = DateField()

    def __init__(self, expression, minutes: int):
        super().__init__(expression)
        self.minutes = minutes

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.minutes:+d} minutes')", params


def local_date(field: str):
    """The local (settings.TIME_ZONE) date of a timestamp column, computed in the database."""
    from django.db import connection

    tz = _tz()
    if connection.vendor == "sqlite":
        minutes = fixed_offset_minutes(tz)
        if minutes is not None:
            return SqliteLocalDate(F(field), minutes)
    return TruncDate(field, tzinfo=tz)


WITHDRAWN = Q(state="withdrawn")
ACTIVE = ~WITHDRAWN
DISPUTED = ~Q(dispute_reason="")


def summons_groups(as_of: dt.datetime) -> list[tuple[str, dict]]:
    """(date field, {counter: aggregate}) — each counter dated on its field, as in facts.summons_facts."""
    reported = ACTIVE & Q(reported_in_at__isnull=False)
    finished = ACTIVE & Q(finished_at__isnull=False)
    closed = ACTIVE & Q(role="lead", whistle__closed_at__isnull=False)
    return [
        (
            "summoned_at",
            {
                "summoned": Count("id"),
                "disputed": Count("id", filter=DISPUTED),
                "dispute_decided": Count("id", filter=DISPUTED & ~Q(state="disputed")),
                "dispute_upheld": Count("id", filter=DISPUTED & WITHDRAWN),
                "active": Count("id", filter=ACTIVE),
                "extended": Count("id", filter=ACTIVE & Q(extension_days__gt=0)),
            },
        ),
        (
            "report_in_due",
            {
                "report_due": Count("id", filter=reported | (ACTIVE & Q(report_in_due__lte=as_of))),
                "report_ontime": Count("id", filter=reported & Q(reported_in_at__lte=F("report_in_due"))),
                "report_n": Count("id", filter=reported),
                "report_secs": Sum(seconds_between("reported_in_at", "summoned_at"), filter=reported),
            },
        ),
        (
            "finish_due",
            {
                "finish_due": Count("id", filter=finished | (ACTIVE & Q(finish_due__lte=as_of))),
                "finish_ontime": Count("id", filter=finished & Q(finished_at__lte=F("finish_due"))),
                "finish_n": Count("id", filter=finished),
                "finish_secs": Sum(seconds_between("finished_at", "summoned_at"), filter=finished),
            },
        ),
        (
            "whistle__closed_at",
            {
                "closed_lead": Count("id", filter=closed),
                "reworked": Count("id", filter=closed & Q(whistle__rework_count__gt=0)),
            },
        ),
    ]


SUMMONS_DIMS = {
    "unit": "unit_id",
    "street": "whistle__street_id",
    "matter": "whistle__matter_id",
    "district": "whistle__street__parent_id",
}
SUMMONS_HISTS = [
    ("report_hist", "report_in_due", "reported_in_at"),
    ("finish_hist", "finish_due", "finished_at"),
]


def _within(field: str, start: dt.datetime, end: dt.datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def summons_cells(start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> Iterator[tuple]:
    """Yield (dim, key, day, counter, value) and (dim, key, day, hist column, {bucket: n}) pieces."""
    from shaobao.whistles.models import Summons

    for field, aggregates in summons_groups(as_of):
        for dim, key_field in SUMMONS_DIMS.items():
            qs = (
                Summons.objects.filter(_within(field, start, end))
                .order_by()
                .annotate(_day=local_date(field), _key=F(key_field))
                .values("_day", "_key")
                .annotate(**{f"c_{name}": agg for name, agg in aggregates.items()})
            )
            for row in qs.iterator(chunk_size=20000):
                if row["_key"] is None:
                    continue
                for name in aggregates:
                    value = row[f"c_{name}"]
                    if value:
                        yield dim, row["_key"], row["_day"], name, value
    for column, field, done in SUMMONS_HISTS:
        for dim, key_field in SUMMONS_DIMS.items():
            qs = (
                Summons.objects.filter(_within(field, start, end) & ACTIVE & Q(**{f"{done}__isnull": False}))
                .order_by()
                .annotate(_secs=seconds_between(done, "summoned_at"))
                .annotate(_day=local_date(field), _key=F(key_field), _b=bucket_of("_secs"))
                .values("_day", "_key", "_b")
                .annotate(n=Count("id"))
            )
            for row in qs.iterator(chunk_size=20000):
                if row["_key"] is not None:
                    yield dim, row["_key"], row["_day"], column, (row["_b"], row["n"])


def demand_cells(start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> Iterator[tuple]:
    from shaobao.intake.models import Demand
    from shaobao.whistles.models import Summons

    kept = ~Q(state="merged")
    called = kept & Q(called_back_at__isnull=False, called_back_at__lte=as_of)
    groups = [
        ("received_at", {"received": Count("id", filter=kept)}),
        (
            "called_back_at",
            {
                "callbacks": Count("id", filter=called),
                "solved": Count("id", filter=called & Q(solved=True)),
                "satisfied": Count("id", filter=called & Q(satisfaction="satisfied")),
                "basically_satisfied": Count("id", filter=called & Q(satisfaction="basically_satisfied")),
                "unsatisfied": Count("id", filter=called & Q(satisfaction="unsatisfied")),
            },
        ),
    ]
    lead = (
        Summons.objects.filter(whistle__demands=OuterRef("pk"), role="lead")
        .exclude(state="withdrawn")
        .order_by("-whistle__blown_at", "-id")
        .values("unit_id")[:1]
    )
    dims = {
        "unit": Coalesce(F("assigned_unit_id"), Subquery(lead), output_field=BigIntegerField()),
        "street": F("street_id"),
        "matter": F("matter_id"),
        "district": Coalesce(
            F("street__parent_id"), F("matter__duty_list__district_id"), output_field=BigIntegerField()
        ),
    }
    for field, aggregates in groups:
        for dim, key_expr in dims.items():
            qs = (
                Demand.objects.filter(_within(field, start, end))
                .order_by()
                .annotate(_day=local_date(field), _key=key_expr)
                .values("_day", "_key")
                .annotate(**{f"c_{name}": agg for name, agg in aggregates.items()})
            )
            for row in qs.iterator(chunk_size=20000):
                if row["_key"] is None:
                    continue
                for name in aggregates:
                    value = row[f"c_{name}"]
                    if value:
                        yield dim, row["_key"], row["_day"], name, value
