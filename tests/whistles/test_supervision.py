"""The supervision sweep: warnings, supervision orders, escalation; each claimed exactly once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from shaobao.core.calendar import add_working_days
from shaobao.core.models import Event, Notification
from shaobao.whistles import actions as wf
from shaobao.whistles.models import SupervisionOrder
from shaobao.whistles.supervision import claims_of, overdue_board, sweep
from tests.intake.flow import blow, lead_of

MIN = dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_warning_at_75_percent_is_issued_once(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    now = lead.report_in_warn_at + MIN
    first = sweep(now)
    assert first.counts["report_in_warning"] == 2  # lead and supporting
    again = sweep(now + MIN)
    assert again.total == 0
    orders = SupervisionOrder.objects.filter(summons=lead)
    assert [(o.kind, o.stage) for o in orders] == [("warning", "report_in")]
    assert set(claims_of(lead.pk)) == {"report_in_warning"}
    assert Notification.objects.filter(user=world.users["lead_handler"], text__contains="预警").count() == 1
    assert (
        Event.objects.filter(
            subject_type="whistles.summons", subject_id=lead.pk, action="report_in_warning"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_overdue_report_in_gets_a_supervision_order_and_reaches_the_street_and_board(world):
    world.users["lead_handler"].email = "lead@example.org"
    world.users["lead_handler"].save()
    whistle = blow(world)
    lead = lead_of(whistle)
    now = lead.report_in_due + MIN
    mail.outbox.clear()
    result = sweep(now)
    assert result.counts["report_in_overdue"] == 2
    # Overdue before anyone warned: the warning is not sent after the fact.
    assert result.counts.get("report_in_warning", 0) == 0
    # ... but it is marked done, so a later pass does not send it either.
    assert set(claims_of(lead.pk)) == {"report_in_warning", "report_in_overdue"}
    assert sweep(now + MIN).total == 0
    order = SupervisionOrder.objects.get(summons=lead, kind="supervision")
    assert order.stage == "report_in" and order.resolved_at is None
    assert Notification.objects.filter(user=world.users["dispatcher"], text__contains="督办").exists()
    assert lead in overdue_board(world.users["coordinator"], now=now)
    assert lead not in overdue_board(world.users["outsider"], now=now)
    assert overdue_board(world.users["dispatcher_b"], now=now).count() == 0
    # Reporting in resolves the report-in order.
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    order.refresh_from_db()
    assert order.resolved_at is not None


@pytest.mark.django_db
def test_overdue_mail_is_sent_after_commit(world, django_capture_on_commit_callbacks):
    world.users["lead_handler"].email = "lead@example.org"
    world.users["lead_handler"].save()
    lead = lead_of(blow(world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep(lead.report_in_due + MIN)
    assert [m.to for m in mail.outbox] == [["lead@example.org"]]


@pytest.mark.django_db
def test_unresolved_supervision_order_escalates_after_a_working_day(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    sweep(lead.report_in_due + MIN)
    issued = SupervisionOrder.objects.get(summons=lead, kind="supervision").issued_at
    # One working day after the order, by the calendar (a week of holiday may lie in between).
    later = add_working_days(issued, 1)
    assert sweep(later - MIN).counts["escalation"] == 0
    result = sweep(later)
    assert result.counts["escalation"] == 2
    assert SupervisionOrder.objects.filter(summons=lead, kind="escalation").count() == 1
    assert Notification.objects.filter(user=world.users["coordinator"], text__contains="提级").exists()
    assert sweep(later + MIN).counts.get("escalation", 0) == 0


@pytest.mark.django_db
def test_finish_deadline_warns_and_supervises(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    lead.refresh_from_db()
    assert sweep(lead.finish_warn_at + MIN).counts["finish_warning"] == 2
    assert sweep(lead.finish_due + MIN).counts["finish_overdue"] == 2
    assert SupervisionOrder.objects.filter(summons=lead, stage="finish", kind="supervision").count() == 1


@pytest.mark.django_db
def test_extension_granted_after_overdue_restarts_supervision(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    lead.refresh_from_db()
    sweep(lead.finish_due + MIN)
    ext = wf.do_request_extension(
        actor=world.users["lead_handler"], summons_id=lead.pk, days=30, reason="需要时间"
    )
    wf.do_decide_extension(actor=world.users["coordinator"], extension_id=ext.pk, grant=True)
    lead.refresh_from_db()
    assert "finish_overdue" not in claims_of(lead.pk)
    assert not SupervisionOrder.objects.filter(
        summons=lead, stage="finish", resolved_at__isnull=True
    ).exists()
    assert sweep(lead.finish_due + MIN).counts["finish_overdue"] == 1


@pytest.mark.django_db
def test_management_command_once(world, capsys):
    blow(world)
    call_command("sweep_deadlines", "--once")
    assert "sweep:" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_in_threads_issue_exactly_one_order_each(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (real concurrent transactions)")
    whistles = [blow(world) for _ in range(30)]
    now = max(lead_of(w).report_in_due for w in whistles) + MIN
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(sweep(now, batch=7).counts["report_in_overdue"])
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == 60  # 30 whistles x (lead + supporting), split between the two sweepers
    assert SupervisionOrder.objects.filter(kind="supervision").count() == 60
    assert SupervisionOrder.objects.values("summons_id").distinct().count() == 60


@pytest.mark.django_db
def test_a_crash_mid_batch_loses_and_repeats_nothing(world, monkeypatch):
    from shaobao.whistles import supervision

    lead = lead_of(blow(world))
    now = lead.report_in_due + MIN

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    # Fails after the batch's claims, orders, events and bell rows are written, before its commit.
    monkeypatch.setattr(supervision, "digest_on_commit", crash)
    with pytest.raises(RuntimeError):
        sweep(now)
    assert claims_of(lead.pk) == {}
    assert not Notification.objects.filter(text__contains="督办").exists()
    assert not SupervisionOrder.objects.exists()
    assert not Event.objects.filter(action="report_in_overdue").exists()
    monkeypatch.undo()
    assert sweep(now).counts["report_in_overdue"] == 2
    assert SupervisionOrder.objects.filter(summons=lead, kind="supervision").count() == 1


@pytest.mark.django_db
def test_the_periodic_task_runs_the_same_sweep(world):
    from shaobao.whistles.tasks import sweep_deadlines_every_minute

    blow(world)
    assert sweep_deadlines_every_minute.call_local() == {}


@pytest.mark.django_db
def test_batches_walk_rows_with_equal_deadlines_and_skip_claimed_ones(world):
    # Lead and supporting summonses share their deadlines: batches of one must still reach every row,
    # once, whether or not an earlier pass claimed some of them.
    from shaobao.whistles.models import Summons

    whistles = [blow(world) for _ in range(3)]
    due = lead_of(whistles[0]).report_in_due
    Summons.objects.exclude(whistle=whistles[0]).update(report_in_due=due)
    Summons.objects.filter(whistle=whistles[0]).update(report_in_due=due - dt.timedelta(hours=1))
    now = due + MIN
    first = sweep(due - dt.timedelta(hours=1) + MIN, batch=1)
    assert first.counts["report_in_overdue"] == 2  # the first whistle's two
    result = sweep(now, batch=1)
    assert result.counts["report_in_overdue"] == 4
    assert SupervisionOrder.objects.filter(kind="supervision").count() == 6
    assert SupervisionOrder.objects.values("summons_id").distinct().count() == 6
    assert sweep(now, batch=1).total == 0


@pytest.mark.django_db
def test_finish_warning_is_issued_again_after_an_extension_moves_it(world):
    whistle = blow(world)
    lead = lead_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    lead.refresh_from_db()
    assert sweep(lead.finish_warn_at + MIN).counts["finish_warning"] == 2
    ext = wf.do_request_extension(
        actor=world.users["lead_handler"], summons_id=lead.pk, days=30, reason="需要时间"
    )
    wf.do_decide_extension(actor=world.users["coordinator"], extension_id=ext.pk, grant=True)
    lead.refresh_from_db()
    assert claims_of(lead.pk) == {}
    assert sweep(lead.finish_warn_at + MIN).counts["finish_warning"] == 1  # the lead's new deadline
    assert SupervisionOrder.objects.filter(summons=lead, kind="warning", stage="finish").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_summons_held_by_an_action_is_passed_over_not_waited_for(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks)")
    from django.db import connections, transaction

    lead = lead_of(blow(world))
    now = lead.report_in_due + MIN
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                from shaobao.whistles.models import Summons

                Summons.objects.select_for_update().get(pk=lead.pk)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(10)
        assert sweep(now).counts["report_in_overdue"] == 1  # the supporting unit's; the lead's is held
    finally:
        release.set()
        t.join()
    assert sweep(now).counts["report_in_overdue"] == 1  # the lead's, on the next pass
    assert SupervisionOrder.objects.filter(summons=lead, kind="supervision").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_claims_migration_carries_the_claim_timestamps_both_ways(world):
    from django.db.migrations.executor import MigrationExecutor

    lead = lead_of(blow(world))
    sweep(lead.report_in_due + MIN)
    before = claims_of(lead.pk)
    assert set(before) == {"report_in_warning", "report_in_overdue"}
    old, new = [("whistles", "0003_sweep_indexes")], [("whistles", "0004_supervision_claims")]
    try:
        MigrationExecutor(connection).migrate(old)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT report_in_warned_at, report_in_overdue_at, finish_warned_at, finish_overdue_at "
                "FROM whistles_summons WHERE id = %s",
                [lead.pk],
            )
            row = cur.fetchone()
            assert row[2:] == (None, None)
            # A claim made by the old code, while the columns were there.
            cur.execute(
                "UPDATE whistles_summons SET finish_warned_at = report_in_overdue_at WHERE id = %s", [lead.pk]
            )
    finally:
        MigrationExecutor(connection).migrate(new)
    after = claims_of(lead.pk)
    assert after == {**before, "finish_warning": before["report_in_overdue"]}


@pytest.mark.django_db
def test_each_stage_reads_its_partial_index_on_sqlite():
    # SQLite takes a partial index only when the query repeats the index's predicate literally; without
    # it a pass scans every summoned row (the summons_state_finish_due index).
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    from django.utils import timezone

    from shaobao.whistles import supervision as sv

    indexes = [
        "summons_ri_warn_due_open",
        "summons_ri_due_open",
        "summons_fin_warn_due_open",
        "summons_fin_due_open",
    ]
    for stage, index in zip(sv.STAGES, indexes, strict=True):
        sql, params = sv._due_sql(stage, timezone.now(), 10, None)
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cur.fetchall())
        assert f"INDEX {index} " in plan, (stage.key, plan)


@pytest.mark.django_db
def test_escalation_waits_one_working_day_across_the_national_day_holiday(world):
    from shaobao.whistles.supervision import _escalation_cutoff

    lead = lead_of(blow(world))
    tz = dt.timezone(dt.timedelta(hours=8))
    before, eve = dt.datetime(2026, 9, 29, 10, tzinfo=tz), dt.datetime(2026, 9, 30, 10, tzinfo=tz)
    for issued in (before, eve):
        SupervisionOrder.objects.create(summons=lead, kind="supervision", stage="report_in", issued_at=issued)
    assert _escalation_cutoff(dt.datetime(2026, 9, 30, 9, tzinfo=tz), 1) is None
    assert _escalation_cutoff(dt.datetime(2026, 10, 5, 12, tzinfo=tz), 1) == before  # 1-7 October are off
    assert _escalation_cutoff(dt.datetime(2026, 10, 8, 11, tzinfo=tz), 1) == eve
    result = sweep(dt.datetime(2026, 10, 5, 12, tzinfo=tz))
    assert result.counts["escalation"] == 1
    assert (
        SupervisionOrder.objects.filter(kind="supervision", escalated_at__isnull=False).get().issued_at
        == before
    )
