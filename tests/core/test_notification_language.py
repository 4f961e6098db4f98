"""Notifications are shown in the reader's language (one language per page): the row keeps a message id and
its values, translated when the bell is read; names and demand texts stay as typed and are marked as data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import translation

from shaobao.core.delivery import send_email
from shaobao.core.models import Notification
from shaobao.whistles.supervision import sweep
from tests.intake.flow import blow, lead_of, new_demand


def shown(note: Notification, language: str) -> str:
    with translation.override(language):
        return note.display


@pytest.mark.django_db
def test_a_new_demand_reads_in_the_dispatchers_language(world):
    d = new_demand(world)
    note = Notification.objects.get(user=world.users["dispatcher"])
    assert note.text == f"新诉求 {d.tracking_code}：{d.subject}"  # the stored default-language text
    assert shown(note, "zh-hans") == f"新诉求 {d.tracking_code}：{d.subject}"
    assert shown(note, "en") == f"New demand {d.tracking_code}: {d.subject}"


@pytest.mark.django_db
def test_the_sweeps_rows_read_in_english_too(world):
    lead = lead_of(blow(world))
    sweep(lead.report_in_due + dt.timedelta(minutes=1))
    handler_note = Notification.objects.get(
        user=world.users["lead_handler"], message__startswith="Supervision"
    )
    assert shown(handler_note, "en") == f"Supervision: whistle #{lead.whistle_id} is overdue to report in"
    assert shown(handler_note, "zh-hans") == f"督办：吹哨 #{lead.whistle_id} 报到已超时"
    dispatcher_note = Notification.objects.filter(
        user=world.users["dispatcher"], params__n__isnull=False
    ).get()
    assert shown(dispatcher_note, "en").startswith("Supervision: 2 unit(s) overdue to report in")
    assert "2 个单位报到超时" in dispatcher_note.text


@pytest.mark.django_db
def test_the_bell_page_in_english_marks_user_data_and_shows_no_other_chinese(world, client):
    d = new_demand(world, subject="占道经营<script>")
    client.force_login(world.users["dispatcher"])
    client.cookies["django_language"] = "en"
    page = client.get("/notifications/").content.decode()
    code = f"<span data-user>{d.tracking_code}</span>"
    assert f"New demand {code}: <span data-user>占道经营&lt;script&gt;</span>" in page
    assert "新诉求" not in page


@pytest.mark.django_db
def test_an_email_carries_both_languages(world):
    world.users["dispatcher"].email = "d@example.org"
    world.users["dispatcher"].save()
    d = new_demand(world)
    note = Notification.objects.get(user=world.users["dispatcher"])
    from shaobao.core.messages import Msg

    mail.outbox.clear()
    send_email(world.users["dispatcher"].pk, Msg(note.message, note.params))
    body = mail.outbox[0].body
    assert f"新诉求 {d.tracking_code}" in body and f"New demand {d.tracking_code}" in body
