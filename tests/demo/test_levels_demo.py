"""The demo city's calls up (shaobao/demo/levels.py): a dozen calls in every state, three extension requests
(pending, granted, refused) and two departments overdue with the supervision orders the real sweep issued;
a second load adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from shaobao.calls.models import (
    Call,
    CallAssignment,
    CallClaim,
    CallExtensionRequest,
    CallRating,
    CallSupervisionOrder,
)
from shaobao.calls.selectors import board_for
from shaobao.core.models import Event
from shaobao.org.models import User

# `demo`: loaded once for the module (tests/demo/conftest.py), on one xdist worker
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_levels_demo")]


def demo_calls():
    return Call.objects.filter(
        Q(idempotency_key__startswith="demo-") | Q(parent__idempotency_key__startswith="demo-")
    )


def counts() -> tuple:
    calls = demo_calls()
    return (
        calls.count(),
        CallAssignment.objects.filter(call__in=calls).count(),
        CallExtensionRequest.objects.filter(assignment__call__in=calls).count(),
        CallSupervisionOrder.objects.filter(assignment__call__in=calls).count(),
        CallClaim.objects.filter(assignment__call__in=calls).count(),
        CallRating.objects.filter(call__in=calls).count(),
        Event.objects.filter(subject_type__startswith="calls.").count(),
    )


def test_one_extension_pending_one_granted_one_refused(demo):
    exts = list(
        CallExtensionRequest.objects.filter(assignment__call__in=demo_calls()).select_related(
            "assignment__unit", "assignment__call"
        )
    )
    by_state = {e.state: e for e in exts}
    assert len(exts) == 3 and set(by_state) == {"pending", "granted", "refused"}
    now = timezone.now()

    pending = by_state["pending"]
    assert pending.assignment.unit.code == "ZJW" and pending.decided_at is None
    assert pending.requested_at < now  # dated when it was asked, not when the demo was loaded

    granted = by_state["granted"]
    a = granted.assignment
    assert a.unit.code == "MY-ZJW" and a.extension_days == granted.days == 5
    assert a.finish_due == granted.proposed_due > now
    event = Event.objects.get(
        subject_type="calls.callassignment", subject_id=a.pk, action="extension_granted"
    )
    assert dt.datetime.fromisoformat(event.data["old_finish_due"]) < a.finish_due  # the deadline moved
    assert granted.requested_at < granted.decided_at == event.at < now

    refused = by_state["refused"]
    assert refused.assignment.unit.code == "MY-STHJ" and refused.assignment.extension_days == 0
    assert refused.decision_note and refused.decided_at < now


def test_two_departments_overdue_with_the_sweeps_supervision_orders(demo):
    orders = list(
        CallSupervisionOrder.objects.filter(
            kind="supervision", assignment__call__in=demo_calls()
        ).select_related("assignment__unit")
    )
    assert {(o.assignment.unit.code, o.stage) for o in orders} == {("SWJ", "finish"), ("MY-SWJ", "report_in")}
    for order in orders:
        a = order.assignment
        due = a.finish_due if order.stage == "finish" else a.report_in_due
        assert order.resolved_at is None and a.is_overdue()
        # The sweep's own rows: run a minute after the deadline, it claimed the stage and wrote the event.
        assert due < order.issued_at <= due + dt.timedelta(minutes=1)
        assert CallClaim.objects.filter(assignment=a, stage=f"{order.stage}_overdue").exists()
        assert Event.objects.filter(
            subject_type="calls.callassignment",
            subject_id=a.pk,
            action=f"{order.stage}_overdue",
            at=order.issued_at,
        ).exists()
    # The report-in warning came first (75 % of the 24 hours), from the sweep too.
    swj = next(o.assignment for o in orders if o.stage == "report_in")
    assert CallSupervisionOrder.objects.filter(assignment=swj, kind="warning", stage="report_in").exists()


@pytest.mark.parametrize(("username", "overdue"), [("coordinator", "SWJ"), ("miyuncoord", "MY-SWJ")])
def test_the_county_boards_show_them(demo, username, overdue):
    board = board_for(User.objects.get(username=username))
    sections = {s["key"]: s for s in board.sections}
    assert board.figures["supervised"] == 1
    assert [a.unit.code for a in sections["overdue"]["items"]] == [overdue]
    assert sections["extensions"]["count"] == (username == "coordinator")


def test_a_second_load_adds_nothing(demo):
    before = counts()
    out = StringIO()
    call_command("load_demo", "--no-month", stdout=out)
    assert counts() == before
    line = next(line for line in out.getvalue().splitlines() if "levels demo" in line)
    assert "13 calls, 3 extension requests (1 pending, 1 granted, 1 refused), 2 supervision orders" in line


@pytest.mark.parametrize(
    ("username", "key", "shown"),
    [
        ("coordinator", "demo-8", "data-supervised"),  # Pinggu's centre: the department overdue to finish
        ("coordinator", "demo-9", "decide-extension-"),  # and the request it has to decide
        ("miyuncoord", "demo-10", "data-supervised"),  # Miyun's centre: the department overdue to report in
        ("twocounties", "demo-8", "data-supervised"),  # one handler of both water authorities (Pinggu first)
        ("h-my-zjw", "demo-11", "state-granted"),
        ("h-my-sthj", "demo-12", "state-refused"),
    ],
)
def test_the_logins_see_them_on_the_calls_pages(demo, client, username, key, shown):
    client.force_login(User.objects.get(username=username))
    call = Call.objects.get(idempotency_key=key)
    assert client.get("/calls/").status_code == 200
    page = client.get(f"/calls/{call.pk}/")
    assert page.status_code == 200 and shown in page.content.decode()
