"""What the SMS gateway sends back: delivery reports and residents' replies (issue 14, part 3).

Shaped like Alibaba Cloud SMS's HTTP push (SmsReport, SmsUp), as JSON arrays. The gateway's account needs
the permission `sms.receive_reports` (or is a superuser).
"""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Field, Router, Schema

from shaobao.api.schemas import error_responses
from shaobao.core.errors import Forbidden
from shaobao.sms import actions

router = Router(tags=["sms 短信"])


class ReportIn(Schema):
    biz_id: str = Field("", description="网关流水号 / the gateway's id (BizId)")
    out_id: str = Field("", description="我方消息号 / our message id (OutId)")
    success: bool
    err_code: str = ""
    err_msg: str = ""
    report_time: str = ""


class ReplyIn(Schema):
    phone_number: str
    content: str
    send_time: str = ""


class CountOut(Schema):
    received: int
    changed: int


def _require(user):
    if not (user.is_superuser or user.has_perm("sms.receive_reports")):
        raise Forbidden("无权推送短信回执 / You may not push SMS reports")


@router.post(
    "/sms/reports",
    response={200: CountOut, **error_responses(400, 401, 403)},
    summary="短信状态报告 / SMS delivery reports",
)
def sms_reports(request: HttpRequest, payload: list[ReportIn]):
    _require(request.user)
    changed = 0
    for r in payload:
        at = parse_datetime(r.report_time.replace(" ", "T")) if r.report_time else None
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)  # the gateway reports in local (China) time
        changed += actions.record_report(
            provider_id=r.biz_id,
            out_id=r.out_id,
            delivered=r.success,
            error=f"{r.err_code} {r.err_msg}".strip(),
            at=at,
        )
    return {"received": len(payload), "changed": changed}


@router.post(
    "/sms/replies",
    response={200: CountOut, **error_responses(400, 401, 403)},
    summary="居民回复短信（退订、评价）/ Residents' replies (stop, rating)",
)
def sms_replies(request: HttpRequest, payload: list[ReplyIn]):
    _require(request.user)
    done = [actions.handle_reply(phone=r.phone_number, text=r.content) for r in payload]
    return {"received": len(payload), "changed": sum(d != "ignored" for d in done)}
