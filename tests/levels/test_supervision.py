"""The calls' deadlines act on time, on the whistles' rules: a warning before a department's report-in and
finish deadlines, an overdue mark once when they pass (the centre and the caller told), extension requests
decided by the centre (granted: the finish deadline moves and is supervised again)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from shaobao.calls import actions
from shaobao.calls.models import CallExtensionRequest, CallSupervisionOrder
from shaobao.calls.selectors import board_for
from shaobao.calls.supervision import claims_of, sweep
from shaobao.core.calendar import add_working_days
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.models import Event, Notification
from tests.levels.conftest import fresh

MIN = dt.timedelta(minutes=1)


def assigned(city, supporting=()):
    call = actions.do_raise_call(
        actor=city.users["dispatcher"],
        caller_code=city.world.street_a.code,
        subject="河道跨区污染",
        body="上游排污，本街乡无法处置",
    )
    actions.do_assign(
        actor=city.users["coordinator"],
        call_id=call.pk,
        lead_unit_code="CGZF",
        supporting_unit_codes=list(supporting),
    )
    return call, call.assignments.get(role="lead")


def bell(city, persona, text):
    return Notification.objects.filter(user=city.users[persona], text__contains=text).count()


def test_a_warning_then_one_overdue_mark_reaching_the_department_the_centre_and_the_caller(
    city, django_capture_on_commit_callbacks
):
    call, lead = assigned(city)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(lead.report_in_warn_at + MIN) == {"report_in_warning": 1}
        assert sweep(lead.report_in_warn_at + 2 * MIN) == {}  # twice: warned once
    assert bell(city, "lead_handler", "预警") == 1 and bell(city, "coordinator", "预警") == 1
    assert bell(city, "dispatcher", "预警") == 0  # the caller hears of the overdue mark, not the warning
    now = lead.report_in_due + MIN
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now) == {"report_in_overdue": 1}
        assert sweep(now + MIN) == {}
    for persona in ("lead_handler", "coordinator", "dispatcher"):
        assert bell(city, persona, "督办") == 1, persona
    assert bell(city, "miyun_coordinator", "督办") == 0 and bell(city, "dispatcher_b", "督办") == 0
    assert set(claims_of(lead.pk)) == {"report_in_warning", "report_in_overdue"}
    orders = CallSupervisionOrder.objects.filter(assignment=lead)
    assert sorted((o.kind, o.stage) for o in orders) == [
        ("supervision", "report_in"),
        ("warning", "report_in"),
    ]
    assert Event.objects.filter(subject_type="calls.callassignment", action="report_in_overdue").count() == 1
    # The county's board counts it (by the clock and by the open order); Miyun's does not.
    board = board_for(fresh(city.users["coordinator"]), now=now)
    assert board.figures["overdue"] == 1 and board.figures["supervised"] == 1
    assert board_for(fresh(city.users["miyun_coordinator"]), now=now).figures["supervised"] == 0
    # Reporting in resolves the report-in order.
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    assert not orders.filter(kind="supervision", resolved_at__isnull=True).exists()


def test_overdue_before_any_warning_is_not_warned_after_the_fact(city):
    _call, lead = assigned(city, supporting=["ZJW"])
    assert sweep(lead.finish_due + MIN) == {"report_in_overdue": 2, "finish_overdue": 2}
    assert set(claims_of(lead.pk)) == {
        "report_in_warning",
        "report_in_overdue",
        "finish_warning",
        "finish_overdue",
    }
    assert not CallSupervisionOrder.objects.filter(kind="warning").exists()


def test_the_periodic_task_runs_the_same_sweep(city):
    from shaobao.calls.tasks import sweep_calls

    assigned(city)
    assert sweep_calls.call_local() == {}


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_mark_each_assignment_once(city):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (real concurrent transactions)")
    leads = [assigned(city, supporting=["ZJW"])[1] for _ in range(10)]
    now = max(a.report_in_due for a in leads) + MIN
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(sweep(now, batch=3).get("report_in_overdue", 0))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sum(results) == 20
    orders = CallSupervisionOrder.objects.filter(kind="supervision", stage="report_in")
    assert orders.count() == 20 and orders.values("assignment_id").distinct().count() == 20


def test_an_extension_granted_moves_the_finish_deadline_and_supervision_starts_again(city):
    call, lead = assigned(city)
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    lead.refresh_from_db()
    assert sweep(lead.finish_due + MIN) == {"finish_overdue": 1}
    with pytest.raises(ValidationFailed) as exc:
        actions.do_request_extension(
            actor=city.users["lead_handler"], assignment_id=lead.pk, days=0, reason=""
        )
    assert {"days", "reason"} <= set(exc.value.fields)
    with pytest.raises(NotFound):  # another department of the same county: not its call
        actions.do_request_extension(
            actor=city.users["supporting_handler"], assignment_id=lead.pk, days=5, reason="x"
        )
    ext = actions.do_request_extension(
        actor=city.users["lead_handler"], assignment_id=lead.pk, days=10, reason="需协调上游"
    )
    assert ext.proposed_due == add_working_days(lead.finish_due, 10)
    with pytest.raises(Conflict):  # one pending request at a time
        actions.do_request_extension(
            actor=city.users["lead_handler"], assignment_id=lead.pk, days=3, reason="y"
        )
    with pytest.raises(NotFound):  # another county's centre does not see it
        actions.do_decide_extension(actor=city.users["miyun_coordinator"], extension_id=ext.pk, grant=True)
    with pytest.raises(Forbidden):  # the caller sees the call but does not decide
        actions.do_decide_extension(actor=city.users["dispatcher"], extension_id=ext.pk, grant=True)
    old_due = lead.finish_due
    actions.do_decide_extension(actor=city.users["coordinator"], extension_id=ext.pk, grant=True, note="同意")
    lead.refresh_from_db()
    ext.refresh_from_db()
    assert lead.finish_due == add_working_days(old_due, 10) == ext.proposed_due
    assert (ext.state, lead.extension_days) == ("granted", 10)
    assert "finish_overdue" not in claims_of(lead.pk)
    assert not CallSupervisionOrder.objects.filter(assignment=lead, resolved_at__isnull=True).exists()
    assert set(
        Event.objects.filter(subject_type="calls.callassignment", subject_id=lead.pk).values_list(
            "action", flat=True
        )
    ) >= {"request_extension", "extension_granted"}
    with pytest.raises(Conflict):
        actions.do_decide_extension(actor=city.users["coordinator"], extension_id=ext.pk, grant=False)
    # The new deadline is supervised again: warned, then marked overdue once more.
    assert sweep(lead.finish_warn_at + MIN) == {"finish_warning": 1}
    assert sweep(lead.finish_due + MIN) == {"finish_overdue": 1}


def test_an_extension_refused_leaves_the_deadline(city):
    _call, lead = assigned(city)
    ext = actions.do_request_extension(
        actor=city.users["lead_handler"], assignment_id=lead.pk, days=5, reason="人手不足"
    )
    actions.do_decide_extension(
        actor=city.users["coordinator"], extension_id=ext.pk, grant=False, note="不同意"
    )
    ext.refresh_from_db()
    before = lead.finish_due
    lead.refresh_from_db()
    assert (ext.state, ext.decision_note, lead.finish_due, lead.extension_days) == (
        "refused",
        "不同意",
        before,
        0,
    )
    assert Event.objects.filter(subject_id=lead.pk, action="extension_refused").exists()
    # A new request may follow a refused one.
    assert (
        actions.do_request_extension(
            actor=city.users["lead_handler"], assignment_id=lead.pk, days=2, reason="再申请"
        ).state
        == "pending"
    )
    # Finished, nothing more to extend.
    CallExtensionRequest.objects.filter(state="pending").update(state="refused")
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    actions.do_finish(actor=city.users["lead_handler"], assignment_id=lead.pk, note="已处置")
    with pytest.raises(Conflict):
        actions.do_request_extension(
            actor=city.users["lead_handler"], assignment_id=lead.pk, days=2, reason="z"
        )


def test_the_ranking_reads_the_extended_deadline(city):
    from shaobao.calls.ranking import month_span, unit_figures

    _call, lead = assigned(city)
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    ext = actions.do_request_extension(
        actor=city.users["lead_handler"], assignment_id=lead.pk, days=5, reason="需协调"
    )
    actions.do_decide_extension(actor=city.users["coordinator"], extension_id=ext.pk, grant=True)
    lead.refresh_from_db()
    between = lead.finish_due - dt.timedelta(days=1)  # past the old deadline, before the new one
    row = unit_figures([lead.unit_id], month_span(f"{lead.assigned_at:%Y-%m}"), now=between)[lead.unit_id]
    assert row["finish_rate"] is None and row["overdue"] == 0  # not due yet: neither on time nor late
    after = lead.finish_due + MIN
    assert sweep(after) == {"finish_overdue": 1}
    row = unit_figures([lead.unit_id], month_span(f"{lead.assigned_at:%Y-%m}"), now=after)[lead.unit_id]
    assert row["finish_rate"] == 0 and row["overdue"] == 1


def test_the_command_sweeps_once(city, capsys):
    from django.core.management import call_command
    from django.utils import timezone

    from shaobao.calls.models import CallAssignment

    call, lead = assigned(city)
    CallAssignment.objects.filter(pk=lead.pk).update(report_in_due=timezone.now() - MIN)
    call_command("sweep_calls", "--once")
    assert "report_in_overdue" in capsys.readouterr().out
    assert set(claims_of(lead.pk)) >= {"report_in_overdue"}
    call_command("sweep_calls", "--once")
    assert "nothing due" in capsys.readouterr().out
