"""Background tasks retry with backoff; a task that fails after its last retry is recorded once for the
administrator (core.TaskFailure, in the admin and counted on its index); one a retry makes good is not.

Tests run huey in immediate mode: a task runs when it is enqueued, and a retry with a delay is put on
huey's (in-memory) schedule, which `_run_due_retries` plays as the worker would."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from huey.contrib.djhuey import HUEY, db_task

from shaobao.core.models import Event, TaskFailure

pytestmark = pytest.mark.django_db

calls: list[str] = []


@db_task(retries=2, retry_delay=10, retry_backoff=2)
def always_fails(label: str) -> None:
    calls.append(label)
    from django.db import transaction

    with transaction.atomic():  # its own writes roll back; the failure record must not
        Event.objects.create(subject_type="test.task", subject_id=1, action=label)
        raise RuntimeError(f"boom {label}")


@db_task(retries=2, retry_delay=10, retry_backoff=2)
def fails_once(label: str) -> str:
    calls.append(label)
    if calls.count(label) == 1:
        raise ConnectionError("SMTP server went away")
    return "sent"


@pytest.fixture(autouse=True)
def clean_queue():
    calls.clear()
    HUEY.storage.flush_schedule()
    yield
    HUEY.storage.flush_schedule()


def _run_due_retries() -> list[float]:
    """Run every scheduled retry in turn, as the worker would when each falls due; the delays (s)."""
    delays = []
    while True:
        due = HUEY.read_schedule(dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1))
        if not due:
            return delays
        for task in due:
            delays.append(task.retry_delay)
            HUEY.execute(task, timestamp=task.eta)


def test_a_task_that_always_fails_is_retried_with_backoff_then_recorded_once():
    always_fails("a")
    assert calls == ["a"] and not TaskFailure.objects.exists()  # a retry is on the schedule

    delays = _run_due_retries()

    assert calls == ["a", "a", "a"]  # first run + 2 retries
    assert delays == [20, 40]  # the delay doubles (the schedule holds the *next* retry's delay)
    failure = TaskFailure.objects.get()
    assert failure.task_name == "tests.core.test_task_failures.always_fails"
    assert failure.args_summary == "'a'"
    assert "RuntimeError" in failure.error and "boom a" in failure.traceback
    assert failure.attempts == 3 and failure.occurrences == 1 and not failure.resolved
    assert not Event.objects.filter(subject_type="test.task").exists()  # the task's writes rolled back


def test_a_task_failing_again_with_the_same_arguments_counts_on_the_same_record():
    always_fails("b")
    _run_due_retries()
    always_fails("b")
    _run_due_retries()
    always_fails("c")
    _run_due_retries()
    assert TaskFailure.objects.get(args_summary="'b'").occurrences == 2
    assert TaskFailure.objects.filter(args_summary="'c'").count() == 1


def test_a_task_that_fails_once_then_succeeds_is_not_recorded():
    fails_once("x")
    assert calls == ["x"]
    _run_due_retries()
    assert calls == ["x", "x"]
    assert not TaskFailure.objects.exists()


def test_every_background_task_of_the_project_retries_with_backoff():
    for app in apps.get_app_configs():
        if app.name.startswith("shaobao."):
            try:
                importlib.import_module(f"{app.name}.tasks")
            except ModuleNotFoundError:
                pass
    ours = {n: t for n, t in HUEY._registry._registry.items() if n.startswith("shaobao.")}
    assert len(ours) >= 5
    for name, task_class in ours.items():
        assert task_class.default_retries >= 2, name
        assert task_class.default_retry_delay > 0 and task_class.default_retry_backoff >= 2, name


def test_the_admin_lists_failures_and_its_index_counts_the_unresolved(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456")
    always_fails("d")
    _run_due_retries()
    client.force_login(admin)

    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert index.status_code == 200
    assert "1 failed task after all retries, unresolved" in index.content.decode()

    chinese = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "1 个后台任务重试后仍失败，尚未处理" in chinese

    listing = client.get("/admin/core/taskfailure/")
    assert listing.status_code == 200 and "always_fails" in listing.content.decode()

    failure = TaskFailure.objects.get()
    client.post("/admin/core/taskfailure/", {"action": "mark_resolved", "_selected_action": [failure.pk]})
    failure.refresh_from_db()
    assert failure.resolved and failure.resolved_at is not None
    assert "No failed task to look at." in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_failing_mail_address_is_retried_alone_and_recorded_while_the_others_get_theirs_once(
    world, monkeypatch
):
    from django.core import mail

    from shaobao.core import delivery
    from shaobao.core.models import Notification
    from shaobao.core.tasks import deliver_notification

    good, bad = world.users["dispatcher"], world.users["street_leader"]
    good.email, bad.email = "good@example.org", "bad@example.org"
    good.save(), bad.save()
    real_send = delivery.send_mail

    def send(**kwargs):
        if kwargs["recipient_list"] == ["bad@example.org"]:
            raise ConnectionRefusedError("mail server refused")
        return real_send(**kwargs)

    monkeypatch.setattr(delivery, "send_mail", send)
    mail.outbox.clear()
    deliver_notification([good.pk, bad.pk], "通知", "/x/")
    _run_due_retries()

    assert Notification.objects.filter(text="通知").count() == 2  # the bell rows, written once
    assert [m.to for m in mail.outbox] == [["good@example.org"]]  # the good address got one e-mail only
    failure = TaskFailure.objects.get()
    assert failure.task_name.endswith("send_notification_email") and str(bad.pk) in failure.args_summary
    assert "mail server refused" in failure.error and failure.attempts == 5
