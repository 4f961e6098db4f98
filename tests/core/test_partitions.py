"""The audit record is partitioned by month on PostgreSQL (shaobao/core/partitions.py): inserts never fail,
whatever the month, and old rows stay readable; the coming months' partitions are created on demand."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from shaobao.core import audit, partitions
from shaobao.core.models import Event
from shaobao.core.tasks import ensure_partitions_daily
from tests.factories import DivisionFactory

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")


def record_at(subject, when: dt.datetime, action: str) -> Event:
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit.record(subject, action)


def partition_of(event: Event) -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM core_event WHERE id = %s", [event.pk])
        return cur.fetchone()[0]


def test_events_of_any_month_are_written_and_read_back_in_order():
    subject = DivisionFactory()
    now = dt.datetime.now(ZONE)
    times = [
        now - dt.timedelta(days=800),  # before any partition the migration made: the default one
        now - dt.timedelta(days=40),
        now,
        now + dt.timedelta(days=3 * 366),  # far ahead: the default one too
    ]
    written = [record_at(subject, when, f"step{i}") for i, when in enumerate(times)]
    assert len({e.pk for e in written}) == 4
    history = list(audit.history(subject))
    assert [e.action for e in history] == ["step0", "step1", "step2", "step3"]
    assert [e.at for e in history] == times
    if connection.vendor == "postgresql":
        assert partition_of(written[2]) == partitions.partition_name(
            "core_event", partitions.month_start(now)
        )
        assert partition_of(written[3]) == "core_event_default"


def test_creating_a_month_moves_its_rows_out_of_the_default_partition():
    subject = DivisionFactory()
    ahead = dt.datetime.now(ZONE) + dt.timedelta(days=9 * 31)  # past the months created so far
    event = record_at(subject, ahead, "later")
    created = partitions.ensure_partitions(months_ahead=10)
    assert partitions.ensure_partitions(months_ahead=10) == []  # idempotent
    assert [e.action for e in audit.history(subject)] == ["later"]
    if connection.vendor == "postgresql":
        name = partitions.partition_name("core_event", partitions.month_start(ahead.date()))
        assert name in created
        assert partition_of(event) == name
        record_at(subject, ahead, "again")  # the new partition takes the month's next rows
        assert [e.action for e in audit.history(subject)] == ["later", "again"]
    else:
        assert created == []  # SQLite: one plain table


def test_the_daily_task_creates_what_is_missing():
    assert isinstance(ensure_partitions_daily.call_local(), list)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            names = set(partitions.partitions("core_event", cur))
        start = partitions.month_start(timezone.localdate())
        for _ in range(partitions.DEFAULT_MONTHS_AHEAD + 1):
            assert partitions.partition_name("core_event", start) in names
            start = partitions.next_month(start)


def test_an_imported_history_gets_its_past_months():
    subject = DivisionFactory()
    old = dt.datetime.now(ZONE) - dt.timedelta(days=800)
    event = record_at(subject, old, "imported")
    created = partitions.ensure_partitions(since=old.date())
    assert [e.action for e in audit.history(subject)] == ["imported"]
    if connection.vendor == "postgresql":
        name = partitions.partition_name("core_event", partitions.month_start(old.date()))
        assert name in created
        assert partition_of(event) == name
