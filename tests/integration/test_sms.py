"""SMS to residents: receipt, closing and missed-callback messages; templates per language; opt-out; rate
limit; the Aliyun-shaped gateway (signed) failing and recovering; never two messages for one event."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from shaobao.core import events
from shaobao.intake import actions as intake
from shaobao.sms import actions as sms
from shaobao.sms.backends import AliyunBackend, aliyun_signature
from shaobao.sms.models import SmsMessage, SmsOptOut, SmsTemplate
from tests.api.conftest import ApiClient
from tests.factories import UserFactory
from tests.intake.flow import demand_in, new_demand

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "shaobao.sms.backends.FileBackend"
    settings.PUBLIC_BASE_URL = "https://shaobao.example"

    def read():
        path = tmp_path / "sms" / "outbox.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return read


def test_receipt_message_with_tracking_code_and_link(world, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demand = new_demand(world)
    (m,) = SmsMessage.objects.all()
    assert m.status == "sent" and m.template == "receipt" and m.phone == PHONE and m.demand == demand
    (line,) = outbox()
    assert demand.tracking_code in line["text"]
    assert f"https://shaobao.example/demands/track/{demand.tracking_code}/" in line["text"]
    assert line["phone"] == "138****5678"  # masked in the outbox file


def test_closed_and_unreached_callback_messages(world, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d = demand_in(world, "self_handling")
        intake.do_finish_self_handling(actor=world.users["section_handler"], demand_id=d.pk, note="已处理")
        intake.do_verify_self_handling(
            actor=world.users["dispatcher"], demand_id=d.pk, passed=True, note="违建已拆除"
        )
        intake.do_callback_unreachable(actor=world.users["dispatcher"], demand_id=d.pk)
    kinds = list(SmsMessage.objects.order_by("pk").values_list("template", flat=True))
    assert kinds == ["receipt", "closed", "callback_failed"]
    closed = SmsMessage.objects.get(template="closed")
    assert "违建已拆除" in closed.text and "1" in closed.text  # the result, and how to rate


def test_no_phone_no_message(world, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world, reporter_phone="")
    assert not SmsMessage.objects.exists() and outbox() == []


def test_templates_per_language(world, outbox, django_capture_on_commit_callbacks):
    SmsTemplate.objects.create(key="receipt", language="zh-hans", text="已受理，编号{tracking_code}。")
    SmsTemplate.objects.create(key="receipt", language="en", text="Received: {tracking_code}.")
    with django_capture_on_commit_callbacks(execute=True):
        zh = new_demand(world)
        en = new_demand(world, reporter_phone="+44 20 7946 0958", subject="另一个")
    texts = dict(SmsMessage.objects.values_list("demand_id", "text"))
    assert texts[zh.pk] == f"已受理，编号{zh.tracking_code}。"
    assert texts[en.pk] == f"Received: {en.tracking_code}."
    assert SmsMessage.objects.get(demand=en).language == "en"


def test_built_in_english_text_has_no_chinese(world, outbox):
    from django.utils import translation

    with translation.override("en"):
        text = sms.default_text("receipt")
    assert "Tracking code" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_opt_out_by_reply_is_honoured(world, outbox, django_capture_on_commit_callbacks):
    assert sms.handle_reply(phone="+86 138-1234-5678", text=" TD ") == "opt_out"
    assert SmsOptOut.objects.get().phone == PHONE
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    assert SmsMessage.objects.get().status == "opted_out" and outbox() == []


def test_rating_by_reply_is_recorded_on_the_demand(world, outbox):
    from shaobao.core.models import Event

    d = demand_in(world, "closed")
    assert sms.handle_reply(phone=PHONE, text="2") == "rating"
    ev = Event.objects.get(subject_id=d.pk, action="resident_rating")
    assert ev.data["satisfaction"] == "basically_satisfied"
    assert sms.handle_reply(phone=PHONE, text="hello") == "ignored"


def test_rate_limit_per_phone(world, outbox, settings, django_capture_on_commit_callbacks):
    settings.SMS_RATE_LIMIT = (2, 3600)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            new_demand(world, subject=f"诉求{i}")
        new_demand(world, subject="别人", reporter_phone="13900000000")
    statuses = list(SmsMessage.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "rate_limited", "sent"] and len(outbox()) == 3


def test_one_event_never_sends_twice(world, outbox):
    d = new_demand(world)
    payload = {"demand_id": d.pk}
    first = sms.prepare(events.DEMAND_RECEIVED, payload, "event-1")
    again = sms.prepare(events.DEMAND_RECEIVED, payload, "event-1")
    assert first.pk == again.pk and SmsMessage.objects.count() == 1 and len(outbox()) == 1


@pytest.fixture
def aliyun(settings, receiver):
    def make(**kw):
        r = receiver(
            answer={"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "x"}, **kw
        )
        settings.SMS_BACKEND = "shaobao.sms.backends.AliyunBackend"
        settings.SMS_ALIYUN = {
            "endpoint": r.url + "/",
            "access_key_id": "testid",
            "access_key_secret": "testsecret",
            "sign_name": "哨报",
            "region": "cn-hangzhou",
        }
        SmsTemplate.objects.create(
            key="receipt",
            language="zh-hans",
            text="已受理，编号{tracking_code}",
            provider_template="SMS_1234567",
        )
        return r

    return make


def test_aliyun_gateway_fails_then_recovers_sent_once_and_signed(
    world, aliyun, settings, django_capture_on_commit_callbacks
):
    settings.SMS_RETRY_DELAY = 60
    r = aliyun(fail_first=2)
    with django_capture_on_commit_callbacks(execute=True):
        d = new_demand(world)
    m = SmsMessage.objects.get()
    assert m.status == "queued" and m.attempts == 1 and m.error
    later = timezone.now() + dt.timedelta(minutes=2)
    sms.retry_due(later)  # fails again (the receiver's second failure)
    m.refresh_from_db()
    assert m.status == "queued" and m.attempts == 2
    assert sms.retry_due(later) == 0  # backoff doubled: not due yet
    sms.retry_due(later + dt.timedelta(minutes=5))
    m.refresh_from_db()
    assert m.status == "sent" and m.attempts == 3 and m.provider_id == "900619746936498440^0"
    sms.retry_due(later + dt.timedelta(hours=5))
    assert len(r.requests) == 3 and len(r.ok()) == 1  # nothing sent twice
    form = dict(urllib.parse.parse_qsl(r.ok()[0].body.decode()))
    assert (
        form["Action"] == "SendSms"
        and form["PhoneNumbers"] == PHONE
        and form["TemplateCode"] == "SMS_1234567"
    )
    assert json.loads(form["TemplateParam"])["tracking_code"] == d.tracking_code
    assert form["OutId"] == str(m.pk)
    signature = form.pop("Signature")
    assert signature == aliyun_signature(form, "testsecret")  # what the provider checks
    # The gateway's delivery report.
    assert sms.record_report(provider_id=m.provider_id, delivered=True) == 1
    m.refresh_from_db()
    assert m.status == "delivered" and m.delivered_at


def test_aliyun_signature_matches_the_documented_example():
    """Alibaba Cloud's documented signature example (RPC signature v1, AccessKeySecret testSecret)."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testSecret", method="GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_a_refused_number_fails_without_retry(world, settings, receiver, django_capture_on_commit_callbacks):
    r = receiver(answer={"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
    settings.SMS_BACKEND = "shaobao.sms.backends.AliyunBackend"
    settings.SMS_ALIYUN = {
        "endpoint": r.url,
        "access_key_id": "a",
        "access_key_secret": "b",
        "sign_name": "c",
    }
    SmsTemplate.objects.create(
        key="receipt", language="zh-hans", text="{tracking_code}", provider_template="SMS_1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    m = SmsMessage.objects.get()
    assert m.status == "failed" and m.attempts == 1 and "MOBILE_NUMBER_ILLEGAL" in m.error
    sms.retry_due(timezone.now() + dt.timedelta(days=1))
    assert len(r.requests) == 1


def test_aliyun_without_a_provider_template_is_recorded_not_sent(
    world, settings, receiver, django_capture_on_commit_callbacks
):
    r = receiver()
    settings.SMS_BACKEND = "shaobao.sms.backends.AliyunBackend"
    settings.SMS_ALIYUN = {
        "endpoint": r.url,
        "access_key_id": "a",
        "access_key_secret": "b",
        "sign_name": "c",
    }
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    assert SmsMessage.objects.get().status == "no_template" and r.requests == []
    assert isinstance(
        AliyunBackend().request_params(phone="1", template_code="T", params={}, out_id="1"), dict
    )


def test_reports_and_replies_api(world, outbox, django_capture_on_commit_callbacks, api_as):
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    m = SmsMessage.objects.get()
    gateway = UserFactory(username="smsgw")
    gateway.user_permissions.add(Permission.objects.get(codename="receive_reports"))
    from shaobao.api.actions import do_issue_token

    client = ApiClient(do_issue_token(user=gateway, name="sms")[1])
    r = client.post(
        "/api/v1/sms/reports",
        [{"biz_id": m.provider_id, "success": True, "report_time": "2024-05-01 10:00:00"}],
    )
    assert r.status_code == 200 and r.json() == {"received": 1, "changed": 1}
    r = client.post("/api/v1/sms/replies", [{"phone_number": PHONE, "content": "退订"}])
    assert r.json()["changed"] == 1 and SmsOptOut.objects.filter(phone=PHONE).exists()
    assert api_as("dispatcher").post("/api/v1/sms/replies", []).status_code == 403


def test_admin_lists_mask_phones(world, outbox, django_capture_on_commit_callbacks, client):
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    admin_client = client
    with django_capture_on_commit_callbacks(execute=True):
        new_demand(world)
    sms.do_opt_out("13900001111")
    for url in ("/admin/sms/smsmessage/", "/admin/sms/smsoptout/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert "138****5678" in page or "139****1111" in page
        assert PHONE not in page and "13900001111" not in page
    m = SmsMessage.objects.get()
    detail = admin_client.get(f"/admin/sms/smsmessage/{m.pk}/change/").content.decode()
    assert PHONE not in detail


def test_a_gateway_down_for_a_while_loses_nothing_and_sends_nothing_twice(
    world, aliyun, settings, django_capture_on_commit_callbacks
):
    """Six residents' receipts while the gateway fails its first eight requests: the worker's retries
    send each message exactly once (one accepted request per message), and each is recorded sent."""
    settings.SMS_RETRY_DELAY = 60
    r = aliyun(fail_first=8)
    phones = [f"1391234{i:04d}" for i in range(6)]
    with django_capture_on_commit_callbacks(execute=True):
        for i, phone in enumerate(phones):
            new_demand(world, reporter_phone=phone, subject=f"诉求{i}")
    assert len(r.requests) == 6 and not r.ok()  # every first attempt failed
    now = timezone.now()
    for minutes in (2, 3, 6, 15, 40, 120, 600):  # the worker's minute sweep as time passes
        sms.retry_due(now + dt.timedelta(minutes=minutes))
    accepted = [dict(urllib.parse.parse_qsl(x.body.decode())) for x in r.ok()]
    assert sorted(a["PhoneNumbers"] for a in accepted) == sorted(phones)  # nothing lost
    assert len({a["OutId"] for a in accepted}) == len(accepted) == 6  # nothing sent twice
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sum(SmsMessage.objects.values_list("attempts", flat=True)) == len(r.requests) == 14
