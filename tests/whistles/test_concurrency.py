"""Concurrent actions on one whistle leave it consistent, on PostgreSQL and on SQLite (real concurrent
transactions; on SQLite the second waits for the write lock taken at BEGIN IMMEDIATE, then sees the new state)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shaobao.core.errors import Conflict
from shaobao.core.models import Event
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, lead_of, supporting_of

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = fn()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_report_in_on_one_summons_one_wins_the_other_gets_conflict(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    outcomes = _race(
        lambda: wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk),
        lambda: wf.do_report_in(actor=world.users["lead_leader"], summons_id=lead.pk),
    )
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert (
        Event.objects.filter(subject_type="whistles.summons", subject_id=lead.pk, action="report_in").count()
        == 1
    )


def test_two_units_reporting_in_at_once_move_the_whistle_once(world):
    whistle = blow(world)
    lead, sup = lead_of(whistle), supporting_of(whistle)
    outcomes = _race(
        lambda: wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk),
        lambda: wf.do_report_in(actor=world.users["supporting_handler"], summons_id=sup.pk),
    )
    assert not any(isinstance(o, Exception) for o in outcomes)
    whistle.refresh_from_db()
    assert whistle.state == "handling"
    assert set(whistle.summonses.values_list("state", flat=True)) == {"reported_in"}
    assert (
        Event.objects.filter(
            subject_type="whistles.whistle", subject_id=whistle.pk, action="report_in"
        ).count()
        == 1
    )


def test_verify_pass_and_fail_at_once_one_wins(world):
    from tests.intake.flow import fed_back

    whistle = fed_back(world)
    outcomes = _race(
        lambda: wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True),
        lambda: wf.do_verify(actor=world.users["street_leader"], whistle_id=whistle.pk, passed=False),
    )
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    whistle.refresh_from_db()
    lead = lead_of(whistle)
    if whistle.state == "closed":
        assert lead.state == "finished" and whistle.rework_count == 0
    else:
        assert whistle.state == "handling" and lead.state == "reported_in" and whistle.rework_count == 1
