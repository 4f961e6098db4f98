"""The reports' roll-ups of confirmed services: per day × community × organisation (`ServiceDayCount`) and per
month × member (`MemberMonthCount`).

`count(record)` adds a service that has just become confirmed, in the caller's transaction (recording with the
resident's code, or the community's confirmation): the figures are never behind the records. Services are
only ever added or confirmed (a confirmed service is not un-confirmed), so the roll-ups only grow.
`rebuild()` recomputes both from the records in two INSERT … SELECT (after a bulk load: the demo, the
benchmark; `manage.py rollup_checkin`).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from shaobao.checkin.models import MemberMonthCount, RecordState, ServiceDayCount, ServiceRecord


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def count(record: ServiceRecord) -> None:
    """Add one confirmed service to the roll-ups (call inside the transaction that confirms it)."""
    if record.state != RecordState.CONFIRMED:
        return
    hours = record.hours
    cell = {
        "day": record.served_on,
        "community_id": record.community_id,
        "organisation_id": record.organisation_id,
    }
    if not ServiceDayCount.objects.filter(**cell).update(
        person_times=F("person_times") + 1, hours=F("hours") + hours
    ):
        ServiceDayCount.objects.create(**cell, street_id=record.street_id, person_times=1, hours=hours)
    key = {
        "month": month_of(record.served_on),
        "member_id": record.member_id,
        "community_id": record.community_id,
    }
    bump = {"person_times": F("person_times") + 1, "hours": F("hours") + hours}
    if MemberMonthCount.objects.filter(**key).update(**bump):
        return
    try:
        with transaction.atomic():
            MemberMonthCount.objects.create(
                **key,
                street_id=record.street_id,
                organisation_id=record.organisation_id,
                person_times=1,
                hours=hours,
            )
    except IntegrityError:  # created by another confirmation of the same member at the same moment
        MemberMonthCount.objects.filter(**key).update(**bump)


def _month_sql() -> str:
    if connection.vendor == "postgresql":
        return "date_trunc('month', served_on)::date"
    return "date(served_on, 'start of month')"


def rebuild() -> dict:
    """Recompute both roll-ups from the confirmed service records; returns the row counts."""
    day_table = ServiceDayCount._meta.db_table
    month_table = MemberMonthCount._meta.db_table
    records = ServiceRecord._meta.db_table
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"DELETE FROM {day_table}")  # noqa: S608 - table names from the models
        c.execute(f"DELETE FROM {month_table}")  # noqa: S608
        c.execute(
            f"""
            INSERT INTO {day_table} (day, street_id, community_id, organisation_id, person_times, hours)
            SELECT served_on, MIN(street_id), community_id, organisation_id, COUNT(*), SUM(hours)
            FROM {records} WHERE state = %s
            GROUP BY served_on, community_id, organisation_id
            """,  # noqa: S608
            [RecordState.CONFIRMED],
        )
        days = c.rowcount
        c.execute(
            f"""
            INSERT INTO {month_table} (month, member_id, community_id, street_id, organisation_id,
                person_times, hours)
            SELECT {_month_sql()}, member_id, community_id, MIN(street_id), MIN(organisation_id), COUNT(*),
                SUM(hours)
            FROM {records} WHERE state = %s
            GROUP BY {_month_sql()}, member_id, community_id
            """,  # noqa: S608
            [RecordState.CONFIRMED],
        )
        months = c.rowcount
    return {"days": days, "member_months": months}
