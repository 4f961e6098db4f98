"""Key-task rules: deadlines, progress, the sweep's warning / supervision / escalation, overdue counts,
the evaluation figure and the board panel."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.core.errors import Conflict, Forbidden, ValidationFailed
from shaobao.core.models import Event, Notification
from shaobao.evaluation import extras
from shaobao.evaluation.indicators import Period
from shaobao.keytasks import actions, selectors, supervision
from shaobao.keytasks.models import KeyTask, KeyTaskOrder, ProgressReport
from tests.keytasks.conftest import at

pytestmark = pytest.mark.django_db


def test_deadline_in_the_past_is_refused_and_nothing_written(world, make_task):
    with pytest.raises(ValidationFailed) as exc:
        make_task(days_ahead=-1)
    assert exc.value.fields == {"deadline": "in_the_past"}
    assert KeyTask.objects.count() == 0


def test_unknown_units_are_named(world, make_task):
    with pytest.raises(ValidationFailed) as exc:
        make_task(lead_unit="NOPE")
    assert "lead_unit" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        make_task(participating_units=["ZJW", "NOPE"])
    assert "NOPE" in exc.value.fields["participating_units"]
    # a unit of another district is unknown here
    with pytest.raises(ValidationFailed):
        make_task(lead_unit="CY-CG")
    assert KeyTask.objects.count() == 0


def test_only_district_creates(world, make_task):
    with pytest.raises(Forbidden):
        actions.do_create_key_task(
            actor=world.users["lead_handler"], title="x", lead_unit="CGZF", working_days=5
        )


def test_working_days_deadline_skips_the_weekend(world, make_task):
    friday = at(2026, 3, 6, 9)
    task = make_task(now=friday, deadline=None, working_days=1)
    assert task.deadline.astimezone(friday.tzinfo).date() == dt.date(2026, 3, 9)  # Monday
    # the warning at 75 % of the span
    assert task.warn_at == friday + (task.deadline - friday) * 0.75


def test_progress_by_lead_unit_completes_and_participants_add_notes(world, make_task):
    task = make_task()
    first = task.milestones.first()
    actions.do_report_progress(
        actor=world.users["lead_handler"], key_task_id=task.pk, note="已摸底", percent=40, milestone=first.pk
    )
    first.refresh_from_db()
    assert first.done_at is not None
    with pytest.raises(ValidationFailed) as exc:
        actions.do_report_progress(
            actor=world.users["supporting_handler"], key_task_id=task.pk, note="配合", percent=50
        )
    assert exc.value.fields == {"percent": "lead_unit_only"}
    actions.do_report_progress(actor=world.users["supporting_handler"], key_task_id=task.pk, note="已配合")
    with pytest.raises(ValidationFailed) as exc:
        actions.do_report_progress(
            actor=world.users["lead_handler"], key_task_id=task.pk, note="x", percent=20
        )
    assert exc.value.fields == {"percent": "decrease"}
    with pytest.raises(Forbidden):
        actions.do_report_progress(actor=world.users["section_handler"], key_task_id=task.pk, note="x")
    actions.do_report_progress(
        actor=world.users["lead_handler"], key_task_id=task.pk, note="完成", percent=100
    )
    task.refresh_from_db()
    assert task.state == "done" and task.progress == 100 and task.done_at
    assert ProgressReport.objects.filter(key_task=task).count() == 3
    with pytest.raises(Conflict):
        actions.do_report_progress(actor=world.users["lead_handler"], key_task_id=task.pk, note="again")


def test_sweep_warns_at_75_percent_then_supervises_then_escalates(
    world, make_task, django_capture_on_commit_callbacks
):
    start = at(2026, 3, 2, 9)
    task = make_task(now=start, days_ahead=8)
    before_warn = task.warn_at - dt.timedelta(minutes=1)
    assert supervision.sweep(before_warn) == {}
    with django_capture_on_commit_callbacks(execute=True):
        assert supervision.sweep(task.warn_at) == {"key_task_warning": 1}
    assert supervision.sweep(task.warn_at + dt.timedelta(hours=1)) == {}  # once only
    assert KeyTaskOrder.objects.filter(key_task=task, kind="warning").count() == 1
    assert Notification.objects.filter(user=world.users["lead_handler"], text__contains="预警").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert supervision.sweep(task.deadline) == {"key_task_overdue": 1}
    order = KeyTaskOrder.objects.get(key_task=task, kind="supervision")
    assert Notification.objects.filter(user=world.users["coordinator"], text__contains="督办").exists()
    assert Event.objects.filter(subject_id=task.pk, action="key_task_overdue").exists()
    # three working days later the unresolved order is escalated, once
    later = task.deadline + dt.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert supervision.sweep(later) == {"key_task_escalation": 1}
    assert supervision.sweep(later) == {}
    order.refresh_from_db()
    assert order.escalated_at is not None
    assert Notification.objects.filter(user=world.users["lead_leader"], text__contains="提级").exists()


def test_an_overdue_task_found_without_a_warning_gets_the_order_only(world, make_task):
    task = make_task(days_ahead=3)
    assert supervision.sweep(task.deadline + dt.timedelta(hours=1)) == {"key_task_overdue": 1}
    assert not KeyTaskOrder.objects.filter(kind="warning").exists()


def test_completing_resolves_orders_and_a_new_deadline_is_supervised_again(world, make_task):
    task = make_task(days_ahead=3)
    supervision.sweep(task.deadline)
    new_day = (task.deadline + dt.timedelta(days=20)).date()
    actions.do_extend_deadline(
        actor=world.users["coordinator"], key_task_id=task.pk, deadline=new_day, reason="施工季节",
        now=task.deadline + dt.timedelta(hours=1),
    )  # fmt: skip
    assert not KeyTaskOrder.objects.filter(key_task=task, resolved_at__isnull=True).exists()
    task.refresh_from_db()
    assert supervision.sweep(task.deadline) == {"key_task_overdue": 1}


def test_overdue_counts_per_lead_unit_evaluation_figure_and_board(world, make_task):
    now = at(2026, 3, 2, 9)
    late = make_task(now=now, days_ahead=3)
    make_task(now=now, days_ahead=3, lead_unit="ZJW", participating_units=[])
    make_task(now=now, days_ahead=60)
    done_late = make_task(now=now, days_ahead=3, title="按期完成")
    actions.do_report_progress(
        actor=world.users["lead_handler"], key_task_id=done_late.pk, note="完成", percent=100,
        now=now + dt.timedelta(days=1),
    )  # fmt: skip
    check = now + dt.timedelta(days=10)
    assert selectors.overdue_by_lead_unit(now=check) == {world.lead_unit.pk: 1, world.supporting_unit.pk: 1}
    figure = next(f for f in extras.figures() if f.code == "overdue_key_tasks")
    assert figure.higher_is_better is False
    values = figure.compute(
        {world.lead_unit.pk, world.supporting_unit.pk, world.section_a.pk}, Period.month("2026-03")
    )
    assert values == {world.lead_unit.pk: 1, world.supporting_unit.pk: 1}
    assert figure.compute({world.lead_unit.pk}, Period.month("2026-02")) == {}
    panel = selectors.board_panel(world.users["coordinator"], now=check)
    assert panel["totals"]["overdue"] == 2 and late in panel["overdue"]
    assert selectors.board_panel(world.users["resident"], now=check)["totals"]["total"] == 0
