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


# --- PostgreSQL: the whole rollup of a range of days in a few set-based statements ---------------------
#
# One pass over the summonses (joined to their whistles) and one over the demands. Each row becomes its
# dated events (LATERAL VALUES: the summons day, the report-in due day, the finish due day, the close day;
# the receive day, the callback day), and ONE aggregate with GROUPING SETS sums them per day × unit,
# street, matter and district at once. The hours histograms are a second grouping of the same events by
# bucket. The figures are those of `facts` (the tests compare them with the raw recomputation).

PG_SECS = "(CAST(EXTRACT(EPOCH FROM DATE_TRUNC('second', {later})) AS BIGINT) - CAST(EXTRACT(EPOCH FROM DATE_TRUNC('second', {earlier})) AS BIGINT))"
PG_BUCKET = (
    "CASE WHEN {s} <= 0 THEN 1 WHEN {s} <= 172800 THEN ({s} + 3599) / 3600 "
    "WHEN {s} <= 2592000 THEN ({s} + 21599) / 21600 * 6 ELSE ({s} + 86399) / 86400 * 24 END"
)
DIM_SETS = "GROUPING SETS ((day, unit_id), (day, street_id), (day, matter_id), (day, district_id))"
DIM_OF = (
    "CASE WHEN GROUPING(unit_id) = 0 THEN 'unit' WHEN GROUPING(street_id) = 0 THEN 'street' "
    "WHEN GROUPING(matter_id) = 0 THEN 'matter' ELSE 'district' END"
)
KEY_OF = (
    "CASE WHEN GROUPING(unit_id) = 0 THEN unit_id WHEN GROUPING(street_id) = 0 THEN street_id "
    "WHEN GROUPING(matter_id) = 0 THEN matter_id ELSE district_id END"
)


def _tables() -> dict[str, str]:
    from shaobao.duties.models import DutyList, Matter
    from shaobao.intake.models import Demand
    from shaobao.org.models import Division
    from shaobao.whistles.models import Summons, Whistle

    return {
        "summons": Summons._meta.db_table,
        "whistle": Whistle._meta.db_table,
        "link": Whistle.demands.through._meta.db_table,
        "division": Division._meta.db_table,
        "demand": Demand._meta.db_table,
        "matter": Matter._meta.db_table,
        "duty_list": DutyList._meta.db_table,
    }


def pg_cell_tables(cursor, start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> None:
    """Fill the temporary tables ev_counts (dim, key, day, counters…) and ev_hists (dim, key, day, column,
    histogram jsonb, coarse counts) with every fact dated in [start, end) (local days)."""
    from shaobao.evaluation.facts import COARSE_BOUNDS, COARSE_COLUMNS, COUNTERS

    t = _tables()
    tz = str(_tz())
    first, last = _local(start), _local(end) - dt.timedelta(days=1)
    p = {"start": start, "end": end, "as_of": as_of, "tz": tz, "first": first, "last": last}

    def day(col: str) -> str:
        return f"({col} AT TIME ZONE %(tz)s)::date"

    def within(col: str) -> str:
        return f"({col} >= %(start)s AND {col} < %(end)s)"

    rep_secs = PG_SECS.format(later="s.reported_in_at", earlier="s.summoned_at")
    fin_secs = PG_SECS.format(later="s.finished_at", earlier="s.summoned_at")
    cursor.execute("DROP TABLE IF EXISTS ev_summons, ev_demands, ev_counts, ev_hists")
    coarse = COARSE_COLUMNS["report_hist"] + COARSE_COLUMNS["finish_hist"]
    cursor.execute(
        "CREATE TEMP TABLE ev_counts (dim varchar(8), key bigint, day date, "
        + ", ".join(f"{c} bigint NOT NULL DEFAULT 0" for c in COUNTERS + coarse)
        + ")"
    )
    top = len(COARSE_BOUNDS) - 1
    bounds = "ARRAY[" + ", ".join(str(b) for b in COARSE_BOUNDS) + "]"
    # The summonses with any attributed timestamp in the range, reduced once (one scan + join) to what the
    # facts need: the four local days, the conditions, the durations and their histogram buckets.
    active = "s.state <> 'withdrawn'"
    reported = "s.reported_in_at IS NOT NULL"
    finished = "s.finished_at IS NOT NULL"
    cursor.execute(
        f"""
        CREATE TEMP TABLE ev_summons AS
        SELECT unit_id, street_id, matter_id, district_id, d_summoned, d_report, d_finish, d_closed,
               withdrawn, disputed, decided, extended, report_due, report_ontime, reported, rep_secs,
               finish_due, finish_ontime, finished, fin_secs, lead_closed, reworked,
               rep_bucket, fin_bucket,
               -- (LEAST ignores NULLs: no bucket must stay no coarse bucket)
               CASE WHEN reported THEN LEAST(width_bucket(rep_bucket - 1, {bounds}), {top}) END AS rep_ci,
               CASE WHEN finished THEN LEAST(width_bucket(fin_bucket - 1, {bounds}), {top}) END AS fin_ci
        FROM (
        SELECT *, CASE WHEN reported THEN {PG_BUCKET.format(s="rep_secs")} END AS rep_bucket,
               CASE WHEN finished THEN {PG_BUCKET.format(s="fin_secs")} END AS fin_bucket
        FROM (
            SELECT s.unit_id, w.street_id, w.matter_id, st.parent_id AS district_id,
                   {day("s.summoned_at")} AS d_summoned, {day("s.report_in_due")} AS d_report,
                   {day("s.finish_due")} AS d_finish, {day("w.closed_at")} AS d_closed,
                   s.state = 'withdrawn' AS withdrawn, s.dispute_reason <> '' AS disputed,
                   s.dispute_reason <> '' AND s.state <> 'disputed' AS decided,
                   {active} AND s.extension_days > 0 AS extended,
                   {active} AND ({reported} OR s.report_in_due <= %(as_of)s) AS report_due,
                   {active} AND COALESCE(s.reported_in_at <= s.report_in_due, FALSE) AS report_ontime,
                   {active} AND {reported} AS reported,
                   CASE WHEN {active} AND {reported} THEN {rep_secs} END AS rep_secs,
                   {active} AND ({finished} OR s.finish_due <= %(as_of)s) AS finish_due,
                   {active} AND COALESCE(s.finished_at <= s.finish_due, FALSE) AS finish_ontime,
                   {active} AND {finished} AS finished,
                   CASE WHEN {active} AND {finished} THEN {fin_secs} END AS fin_secs,
                   {active} AND s.role = 'lead' AND w.closed_at IS NOT NULL AS lead_closed,
                   w.rework_count > 0 AS reworked
            FROM {t["summons"]} s JOIN {t["whistle"]} w ON w.id = s.whistle_id
            LEFT JOIN {t["division"]} st ON st.id = w.street_id
            WHERE {within("s.summoned_at")} OR {within("s.report_in_due")} OR {within("s.finish_due")}
               OR {within("w.closed_at")}
        ) s
        ) s
        """,
        p,
    )

    def aggregate(source: str, day_col: str, when: str, counters: dict[str, str]) -> None:
        """One GROUPING SETS aggregate of the rows of `source` meeting `when`, dated on the (already
        local) date column `day_col`, into ev_counts: only this date's few counters are summed (the
        others default to 0)."""
        cursor.execute(
            f"""
            INSERT INTO ev_counts (dim, key, day, {", ".join(counters)})
            SELECT {DIM_OF}, {KEY_OF}, day, {", ".join(counters.values())}
            FROM (SELECT s.*, {day_col} AS day FROM {source} s
                  WHERE {when} AND {day_col} >= %(first)s AND {day_col} <= %(last)s) s
            GROUP BY {DIM_SETS}
            """,
            p,
        )

    def count(cond: str = "") -> str:
        return f"COUNT(*) FILTER (WHERE {cond})" if cond else "COUNT(*)"

    aggregate(
        "ev_summons",
        "s.d_summoned",
        "TRUE",
        {
            "summoned": count(),
            "disputed": count("s.disputed"),
            "dispute_decided": count("s.decided"),
            "dispute_upheld": count("s.disputed AND s.withdrawn"),
            "active": count("NOT s.withdrawn"),
            "extended": count("s.extended"),
        },
    )
    aggregate(
        "ev_summons",
        "s.d_report",
        "s.report_due",
        {
            "report_due": count(),
            "report_ontime": count("s.report_ontime"),
            "report_n": count("s.reported"),
            "report_secs": "COALESCE(SUM(s.rep_secs), 0)",
            # The coarse histogram (facts.COARSE_BOUNDS) of the day, as plain counts.
            **{c: count(f"s.rep_ci = {i}") for i, c in enumerate(COARSE_COLUMNS["report_hist"])},
        },
    )
    aggregate(
        "ev_summons",
        "s.d_finish",
        "s.finish_due",
        {
            "finish_due": count(),
            "finish_ontime": count("s.finish_ontime"),
            "finish_n": count("s.finished"),
            "finish_secs": "COALESCE(SUM(s.fin_secs), 0)",
            **{c: count(f"s.fin_ci = {i}") for i, c in enumerate(COARSE_COLUMNS["finish_hist"])},
        },
    )
    aggregate(
        "ev_summons",
        "s.d_closed",
        "s.lead_closed",
        {"closed_lead": count(), "reworked": count("s.reworked")},
    )

    # The fine histograms per calendar month (the window is whole months): month × bucket groups, a few
    # per key, instead of day × bucket (millions); days keep only the coarse counts above.
    cursor.execute(
        f"""
        CREATE TEMP TABLE ev_hists AS
        SELECT dim, key, month, col, jsonb_object_agg(bucket::text, n) AS hist
        FROM (
            SELECT {DIM_OF} AS dim, {KEY_OF} AS key, month, col, bucket, COUNT(*) AS n
            FROM (
                SELECT s.unit_id, s.street_id, s.matter_id, s.district_id, h.col, h.bucket,
                       CAST(date_trunc('month', h.day) AS date) AS month
                FROM ev_summons s CROSS JOIN LATERAL (VALUES
                    ('report_hist', CASE WHEN s.reported THEN s.d_report END, s.rep_bucket),
                    ('finish_hist', CASE WHEN s.finished THEN s.d_finish END, s.fin_bucket)
                ) h(col, day, bucket)
                WHERE h.day >= %(first)s AND h.day <= %(last)s
            ) e
            GROUP BY GROUPING SETS ((month, col, bucket, unit_id), (month, col, bucket, street_id),
                                    (month, col, bucket, matter_id), (month, col, bucket, district_id))
        ) b
        WHERE key IS NOT NULL
        GROUP BY dim, key, month, col
        """,
        p,
    )
    cursor.execute("DROP TABLE ev_summons")

    # Demands: the unit a callback is credited to is the street unit it was assigned to, else the lead
    # unit (not withdrawn) of its latest whistle — one DISTINCT ON over the links instead of a lookup per row.
    in_range = f"({within('d.received_at')} OR {within('d.called_back_at')})"
    cursor.execute(
        f"""
        CREATE TEMP TABLE ev_demands AS
        WITH lead AS MATERIALIZED (
            SELECT DISTINCT ON (l.demand_id) l.demand_id, s.unit_id
            FROM {t["link"]} l
            JOIN {t["demand"]} d ON d.id = l.demand_id
            JOIN {t["whistle"]} w ON w.id = l.whistle_id
            JOIN {t["summons"]} s ON s.whistle_id = w.id AND s.role = 'lead' AND s.state <> 'withdrawn'
            WHERE d.assigned_unit_id IS NULL AND {in_range}
            ORDER BY l.demand_id, w.blown_at DESC, s.id DESC
        )
        SELECT COALESCE(d.assigned_unit_id, lead.unit_id) AS unit_id, d.street_id, d.matter_id,
               COALESCE(st.parent_id, dl.district_id) AS district_id, {day("d.received_at")} AS d_received,
               CASE WHEN d.called_back_at <= %(as_of)s THEN {day("d.called_back_at")} END AS d_called,
               d.solved, d.satisfaction
        FROM {t["demand"]} d
        LEFT JOIN lead ON lead.demand_id = d.id
        LEFT JOIN {t["division"]} st ON st.id = d.street_id
        LEFT JOIN {t["matter"]} m ON m.id = d.matter_id
        LEFT JOIN {t["duty_list"]} dl ON dl.id = m.duty_list_id
        WHERE d.state <> 'merged' AND {in_range}
        """,
        p,
    )
    aggregate("ev_demands", "s.d_received", "TRUE", {"received": count()})
    aggregate(
        "ev_demands",
        "s.d_called",
        "s.d_called IS NOT NULL",
        {
            "callbacks": count(),
            "solved": count("s.solved"),
            **{answer: count(f"s.satisfaction = '{answer}'") for answer in DEMAND_ANSWERS},
        },
    )
    cursor.execute("DROP TABLE ev_demands")


DEMAND_ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


def _local(ts: dt.datetime) -> dt.date:
    return ts.astimezone(_tz()).date()


def pg_insert_rows(cursor, daily: str, monthly: str, first_month: dt.date, last_day: dt.date) -> int:
    """Write ev_counts into the daily rows (counters and coarse histograms; the fine histograms are kept
    per month only) and ev_counts summed per month with ev_hists into the monthly rows of the window's
    months (whole months); returns the number of daily rows."""
    from shaobao.evaluation.facts import COARSE_COLUMNS, COUNTERS

    columns = COUNTERS + COARSE_COLUMNS["report_hist"] + COARSE_COLUMNS["finish_hist"]
    cols = ", ".join(columns)
    sums = ", ".join(f"SUM({c})" for c in columns)
    cursor.execute(
        f"""
        INSERT INTO {daily} (dim, key, day, {cols}, report_hist, finish_hist)
        SELECT dim, key, day, {sums}, '{{}}'::jsonb, '{{}}'::jsonb
        FROM ev_counts WHERE key IS NOT NULL GROUP BY dim, key, day
        """
    )
    rows = cursor.rowcount
    cursor.execute(f"DELETE FROM {monthly} WHERE month >= %s AND month <= %s", [first_month, last_day])
    counters = ", ".join(COUNTERS)
    cursor.execute(
        f"""
        INSERT INTO {monthly} (dim, key, month, {counters}, report_hist, finish_hist)
        SELECT c.dim, c.key, c.month, {", ".join(f"c.{x}" for x in COUNTERS)},
               COALESCE(r.hist, '{{}}'::jsonb), COALESCE(f.hist, '{{}}'::jsonb)
        FROM (SELECT dim, key, CAST(date_trunc('month', day) AS date) AS month,
                     {", ".join(f"SUM({x}) AS {x}" for x in COUNTERS)}
              FROM ev_counts WHERE key IS NOT NULL GROUP BY 1, 2, 3) c
        LEFT JOIN ev_hists r ON (r.dim, r.key, r.month, r.col) = (c.dim, c.key, c.month, 'report_hist')
        LEFT JOIN ev_hists f ON (f.dim, f.key, f.month, f.col) = (c.dim, c.key, c.month, 'finish_hist')
        """
    )
    cursor.execute("DROP TABLE ev_counts, ev_hists")
    return rows
