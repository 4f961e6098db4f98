"""Several levels on one installation (docs/levels.md): the area a request acts in, the calls up the levels
(乡呼县应, shaobao.calls) and the city's rankings.

Views only parse → access → do → serialize; the rules live in `shaobao.org.acting` and `shaobao.calls`.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.calls import actions as call_actions
from shaobao.calls.access import access_assignment, access_call, access_extension
from shaobao.calls.models import Call, CallExtensionRequest
from shaobao.calls.selectors import filter_calls
from shaobao.org import acting, scoping
from shaobao.org.access import require_member
from shaobao.org.models import Membership
from shaobao.whistles.actions import MAX_EXTENSION_DAYS

router = Router(tags=["levels 多级 · 乡呼县应"])


class AreaOut(Schema):
    key: str
    code: str
    name: str
    level: str
    current: bool


class ActingOut(Schema):
    current: str | None
    areas: list[AreaOut]


class ActingIn(Schema):
    area: str


def _acting(request: HttpRequest) -> dict:
    areas = scoping.areas_of(request.user)
    current = next((a.key for a in areas if a.current), None)
    return {"current": current, "areas": [a.__dict__ for a in areas]}


@router.get(
    "/acting", response={200: ActingOut, **error_responses(400, 401, 403)}, summary="所在区县 / Acting in"
)
def get_acting(request: HttpRequest):
    """The areas (districts, the city) the caller belongs to and the one this request acts in. Choose
    per request with the `X-Acting-In` header or the `acting_in` parameter (a district's 6-digit code or
    a city's 4-digit code, or the 12-digit form); without it the browser session's choice or the default
    (the highest level, then the lowest code) applies."""
    require_member(request.user)
    return _acting(request)


@router.post(
    "/acting", response={200: ActingOut, **error_responses(400, 401, 403)}, summary="切换区县 / Act in"
)
def set_acting(request: HttpRequest, payload: ActingIn):
    """Act in another area from now on (the browser session's choice, as the top bar's picker); with a
    token, which has no session, this only validates the area: send `X-Acting-In` with each request."""
    require_member(request.user)
    pairs = Membership.objects.filter(user=request.user).values_list("division__code", "division__level")
    key = acting.check(payload.area or "-", pairs, field="area")
    session = getattr(request, "session", None)
    if session is not None and getattr(request, "api_token_id", None) is None:
        session[acting.SESSION_KEY] = key
    acting.request_area(request.user, key)
    return _acting(request)


# --- calls up the levels (乡呼县应) -----------------------------------------------------------------------


ACTION_ERRORS = error_responses(400, 401, 403, 404, 409)
CallType = Literal["routine", "priority", "emergency"]
CallStateCode = Literal["raised", "assigned", "handling", "called_up", "fed_back", "closed"]
AssignmentState = Literal["summoned", "disputed", "reported_in", "finished", "withdrawn"]


class LevelDivisionRef(Schema):
    code: str
    name: str
    level: str


class CallExtensionOut(Schema):
    id: int
    assignment: int
    days: int = Field(description="延期工作日 / extra working days")
    reason: str
    proposed_due: datetime = Field(
        description="新的办结时限（批准时按当时时限重算）/ the new finish deadline (recomputed when granted)"
    )
    state: Literal["pending", "granted", "refused"]
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str


class AssignmentOut(Schema):
    id: int
    unit: str = Field(description="部门代码 / department code")
    unit_name: str
    role: Literal["lead", "supporting"]
    state: AssignmentState
    report_in_due: datetime
    finish_due: datetime
    reported_in_at: datetime | None
    finished_at: datetime | None
    overdue: bool
    supervised: bool = Field(
        description="有未办结的督办单 / an open supervision order (the sweep's overdue mark)"
    )
    extension_days: int
    extensions: list[CallExtensionOut]
    dispute_reason: str
    result: str


class RatingOut(Schema):
    unit: str
    score: int


class CallOut(Schema):
    id: int
    caller: LevelDivisionRef
    centre: LevelDivisionRef
    level: Literal["county", "city"]
    type: CallType
    subject: str
    body: str
    state: CallStateCode
    parent: int | None
    children: list[int]
    raised_at: datetime
    fed_back_at: datetime | None
    closed_at: datetime | None
    result: str
    rework_count: int
    assignments: list[AssignmentOut]
    ratings: list[RatingOut]


class CallSummaryOut(Schema):
    id: int
    caller: str
    centre: str
    level: Literal["county", "city"]
    type: CallType
    subject: str
    state: CallStateCode
    raised_at: datetime


class CallIn(Schema):
    caller: str = Field(
        description="发起方区划代码：本街乡（呼叫区县）或本区县（呼叫市）/ the calling street or district"
    )
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, description="本级为何无法解决 / why it cannot be solved at this level")
    type: CallType = "routine"


class AssignIn(Schema):
    lead_unit: str = Field(min_length=1)
    supporting_units: list[str] = []
    note: str = ""


class CallNoteIn(Schema):
    note: str = Field(min_length=1)


class ReasonIn(Schema):
    reason: str = Field(min_length=1)


class CallArbitrateIn(Schema):
    decision: Literal["uphold", "reject"]
    reassign_to: str | None = None
    note: str = ""


class CallVerifyIn(Schema):
    passed: bool
    note: str = ""
    ratings: dict[str, int] = Field(
        default_factory=dict, description="通过时为每个部门打1-5分 / when passed: 1-5 per department code"
    )


class CallExtensionIn(Schema):
    days: int = Field(..., ge=1, le=MAX_EXTENSION_DAYS, description="延期工作日 / extra working days")
    reason: str = Field(..., min_length=1, max_length=5000)


class DecideCallExtensionIn(Schema):
    grant: bool
    note: str = Field("", max_length=5000)


class CallFilters(Schema):
    state: CallStateCode | None = None
    level: Literal["county", "city"] | None = None
    caller: str | None = None
    q: str | None = None
    overdue: bool | None = None


def _division(d) -> dict:
    return {"code": d.code, "name": d.name, "level": d.level}


def _extension(e: CallExtensionRequest) -> dict:
    # Read back as stored: times in UTC like every other output (an action's own values are local).
    return _extension_fields(CallExtensionRequest.objects.get(pk=e.pk))


def _extension_fields(e: CallExtensionRequest) -> dict:
    return {
        "id": e.pk,
        "assignment": e.assignment_id,
        "days": e.days,
        "reason": e.reason,
        "proposed_due": e.proposed_due,
        "state": e.state,
        "requested_at": e.requested_at,
        "decided_at": e.decided_at,
        "decision_note": e.decision_note,
    }


def call_detail(call: Call) -> dict:
    call = Call.objects.select_related("caller", "centre").get(pk=call.pk)
    return {
        "id": call.pk,
        "caller": _division(call.caller),
        "centre": _division(call.centre),
        "level": call.level,
        "type": call.type,
        "subject": call.subject,
        "body": call.body,
        "state": call.state,
        "parent": call.parent_id,
        "children": list(call.children.values_list("pk", flat=True)),
        "raised_at": call.raised_at,
        "fed_back_at": call.fed_back_at,
        "closed_at": call.closed_at,
        "result": call.result,
        "rework_count": call.rework_count,
        "assignments": [
            {
                "id": a.pk,
                "unit": a.unit.code,
                "unit_name": a.unit.name,
                "role": a.role,
                "state": a.state,
                "report_in_due": a.report_in_due,
                "finish_due": a.finish_due,
                "reported_in_at": a.reported_in_at,
                "finished_at": a.finished_at,
                "overdue": a.is_overdue(),
                "supervised": any(
                    o.kind == "supervision" and o.resolved_at is None for o in a.supervision_orders.all()
                ),
                "extension_days": a.extension_days,
                "extensions": [_extension_fields(e) for e in a.extension_requests.all()],
                "dispute_reason": a.dispute_reason,
                "result": a.result,
            }
            for a in call.assignments.select_related("unit")
            .prefetch_related("supervision_orders", "extension_requests")
            .order_by("role", "id")
        ],
        "ratings": [{"unit": r.unit.code, "score": r.score} for r in call.ratings.select_related("unit")],
    }


@router.get(
    "/calls",
    response={200: list[CallSummaryOut], **error_responses(400, 401, 403)},
    summary="呼叫列表 / List calls up",
)
@paginate(PagePagination)
def list_calls(request: HttpRequest, filters: Query[CallFilters]):
    """Calls the caller may see in the area acted in: a street its own, a county centre its district's
    (from its streets, and its own calls to the city), the city centre every call in the city, a
    department those it is assigned to."""
    require_member(request.user)
    qs = filter_calls(
        Call.objects.visible_to(request.user).select_related("caller", "centre"),
        **{k: v for k, v in filters.dict().items() if v not in (None, "")},
    )
    return [
        {
            "id": c.pk,
            "caller": c.caller.code,
            "centre": c.centre.code,
            "level": c.level,
            "type": c.type,
            "subject": c.subject,
            "state": c.state,
            "raised_at": c.raised_at,
        }
        for c in qs
    ]


@router.post("/calls", response={201: CallOut, 200: CallOut, **ACTION_ERRORS}, summary="呼叫上级 / Call up")
def create_call(
    request: HttpRequest,
    payload: CallIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=80,
        description="重试时使用同一键，返回同一呼叫（200）/ the same key on a retry returns the same call (200)",
    ),
):
    """A street calls its county centre (乡呼县应), a county centre calls the city. 400 names the field."""
    existing = (
        Call.objects.filter(raised_by=request.user, idempotency_key=idempotency_key).first()
        if idempotency_key
        else None
    )
    call = existing or call_actions.do_raise_call(
        actor=request.user,
        caller_code=payload.caller,
        subject=payload.subject,
        body=payload.body,
        type=payload.type,
        idempotency_key=idempotency_key or "",
    )
    return Status(200 if existing else 201, call_detail(call))


@router.get(
    "/calls/{call_id}",
    response={200: CallOut, **error_responses(400, 401, 403, 404)},
    summary="呼叫详情 / A call",
)
def get_call(request: HttpRequest, call_id: int):
    return call_detail(access_call(request.user, call_id))


@router.post(
    "/calls/{call_id}/assign",
    response={200: CallOut, **ACTION_ERRORS},
    summary="派单给部门 / Assign departments",
)
def assign_call(request: HttpRequest, call_id: int, payload: AssignIn):
    """The centre (county or city) assigns its own departments: one lead, any supporting."""
    call = call_actions.do_assign(
        actor=request.user,
        call_id=call_id,
        lead_unit_code=payload.lead_unit,
        supporting_unit_codes=payload.supporting_units,
        note=payload.note,
    )
    return call_detail(call)


@router.post(
    "/calls/{call_id}/call-up", response={200: CallOut, **ACTION_ERRORS}, summary="上呼市级 / Call the city"
)
def call_up(request: HttpRequest, call_id: int, payload: CallNoteIn):
    """The county centre carries a township's call up to the city; the city's verified answer feeds it back."""
    return call_detail(call_actions.do_call_up(actor=request.user, call_id=call_id, note=payload.note))


@router.post(
    "/calls/{call_id}/verify",
    response={200: CallOut, **ACTION_ERRORS},
    summary="核验并评价 / Verify and rate",
)
def verify_call(request: HttpRequest, call_id: int, payload: CallVerifyIn):
    """The caller verifies: passed closes the call with a 1–5 rating of each assigned department
    (`ratings.<code>` named on a missing or bad score); failed sends it back."""
    call = call_actions.do_verify(
        actor=request.user, call_id=call_id, passed=payload.passed, note=payload.note, ratings=payload.ratings
    )
    return call_detail(call)


@router.post(
    "/call-assignments/{assignment_id}/report-in",
    response={200: CallOut, **ACTION_ERRORS},
    summary="部门报到 / Report in",
)
def report_in(request: HttpRequest, assignment_id: int):
    call_actions.do_report_in(actor=request.user, assignment_id=assignment_id)
    return call_detail(access_assignment(request.user, assignment_id).call)


@router.post(
    "/call-assignments/{assignment_id}/dispute",
    response={200: CallOut, **ACTION_ERRORS},
    summary="提出异议 / Dispute",
)
def dispute(request: HttpRequest, assignment_id: int, payload: ReasonIn):
    call_actions.do_dispute(actor=request.user, assignment_id=assignment_id, reason=payload.reason)
    return call_detail(access_assignment(request.user, assignment_id).call)


@router.post(
    "/call-assignments/{assignment_id}/arbitrate",
    response={200: CallOut, **ACTION_ERRORS},
    summary="裁定异议 / Arbitrate",
)
def arbitrate(request: HttpRequest, assignment_id: int, payload: CallArbitrateIn):
    call_actions.do_arbitrate(
        actor=request.user,
        assignment_id=assignment_id,
        decision=payload.decision,
        reassign_to=payload.reassign_to or None,
        note=payload.note,
    )
    return call_detail(access_assignment(request.user, assignment_id).call)


@router.post(
    "/call-assignments/{assignment_id}/finish",
    response={200: CallOut, **ACTION_ERRORS},
    summary="办结反馈 / Finish",
)
def finish(request: HttpRequest, assignment_id: int, payload: CallNoteIn):
    call_actions.do_finish(actor=request.user, assignment_id=assignment_id, note=payload.note)
    return call_detail(access_assignment(request.user, assignment_id).call)


@router.post(
    "/call-assignments/{assignment_id}/extension",
    response={201: CallExtensionOut, 200: CallExtensionOut, **ACTION_ERRORS},
    summary="申请延期 / Ask for an extension",
)
def request_extension(
    request: HttpRequest,
    assignment_id: int,
    payload: CallExtensionIn,
    idempotency_key: str | None = key_header(),
):
    """The assigned department asks its centre for more working days to finish (one pending request at a
    time: 409 `pending_extension`). 200 with the first request when the `Idempotency-Key` was used."""
    ext, replayed = create_once(
        request.user,
        "call-extensions",
        idempotency_key,
        lambda: call_actions.do_request_extension(
            actor=request.user, assignment_id=assignment_id, days=payload.days, reason=payload.reason
        ),
        lambda pk: access_extension(request.user, pk),
    )
    return Status(200 if replayed else 201, _extension(ext))


@router.post(
    "/call-extensions/{extension_id}/decide",
    response={200: CallExtensionOut, **ACTION_ERRORS},
    summary="延期审批 / Grant or refuse an extension",
)
def decide_extension(request: HttpRequest, extension_id: int, payload: DecideCallExtensionIn):
    """The centre the call went to grants (the finish deadline moves by the working days asked for) or
    refuses; another county's centre gets 404, the caller and the departments 403."""
    ext = call_actions.do_decide_extension(
        actor=request.user, extension_id=extension_id, grant=payload.grant, note=payload.note
    )
    return _extension(ext)


# --- evaluation above the district --------------------------------------------------------------------


class DepartmentRankOut(Schema):
    id: int
    code: str
    name: str
    rank: int | None
    composite: float | None
    objective: float | None
    bottom_up: float | None
    assigned: int
    overdue: int = Field(0, description="逾期的派单数（报到或办结）/ assignments late on either deadline")
    report_rate: float | None
    finish_rate: float | None
    ratings: int


class DistrictRankOut(Schema):
    id: int
    code: str
    name: str
    rank: int | None
    composite: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    calls_received: int
    calls_closed: int
    calls_up: int
    departments_on_calls: float | None


class CityRankingOut(Schema):
    city: dict
    period: str
    weight_version: int
    bottom_up_weight: float
    districts: list[DistrictRankOut]
    departments: list[DepartmentRankOut]


class DepartmentRankingOut(Schema):
    centre: dict
    period: str
    bottom_up_weight: float
    departments: list[DepartmentRankOut]


@router.get(
    "/evaluation/call-departments",
    response={200: DepartmentRankingOut, **error_responses(400, 401, 403)},
    summary="部门呼叫办理排名 / Departments on calls up",
)
def call_departments(request: HttpRequest, month: str | None = None):
    """The centre's departments (county or city, the area acted in) ranked on their calls up: objective
    (on-time report-in and finish) and the callers' ratings weighted 30%. `month` YYYY-MM, default the last
    complete month."""
    from shaobao.evaluation import levels
    from shaobao.evaluation.selectors import parse_period

    return levels.department_ranking(request.user, parse_period(month))


@router.get(
    "/evaluation/city",
    response={200: CityRankingOut, **error_responses(400, 401, 403)},
    summary="市级排名 / City rankings",
)
def city_rankings(request: HttpRequest, month: str | None = None):
    """The city centre's rankings: its districts (三率 composite from the rollup, with their calls up) and
    its city departments on calls. City coordinators acting in the city only (403 otherwise)."""
    from shaobao.evaluation import levels
    from shaobao.evaluation.selectors import parse_period

    return levels.city_ranking(request.user, parse_period(month))


class BelowStreetOut(Schema):
    code: str
    name: str
    rank: int | None
    change: int | None
    composite: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None


class BelowUnitOut(Schema):
    code: str
    name: str
    rank: int | None
    change: int | None
    composite: float | None
    objective: float | None
    bottom_up: float | None
    response_rate: float | None
    on_time_rate: float | None
    resolution_rate: float | None


class DistrictBelowOut(Schema):
    city: dict
    district: dict
    period: str
    weight_version: int
    published_at: str | None
    streets: list[BelowStreetOut]
    units: list[BelowUnitOut]


@router.get(
    "/evaluation/city/districts/{code}",
    response={200: DistrictBelowOut, **error_responses(400, 401, 403, 404)},
    summary="市级查看区县排名 / A district's rankings, as the city sees them",
)
def district_below(request: HttpRequest, code: str, month: str | None = None):
    """The level below: one district of the city (`110117` or its 12-digit code) with its streets and units
    ranked as the district ranks them (its published month if any, else live). City coordinators acting in
    the city only (403 otherwise); a district of another city is 404."""
    from shaobao.evaluation import levels
    from shaobao.evaluation.selectors import parse_period

    return levels.district_below(request.user, code, parse_period(month))
