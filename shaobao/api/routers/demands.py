"""Demands: receive, list, read, triage, self-handling, callback (issue 3, part 11).

Views only parse → access → do → serialize; the rules live in `shaobao.intake.actions`.
"""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate

from shaobao.api.pagination import PagePagination
from shaobao.api.renderers import RENDERER
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_workflow import (
    CallbackIn,
    DemandIn,
    DemandOut,
    DemandSummaryOut,
    NoteIn,
    PlacementIn,
    TriageIn,
    VerifyIn,
)
from shaobao.api.serializers import demand_detail
from shaobao.core.errors import ValidationFailed
from shaobao.intake import actions, ledger
from shaobao.intake.access import access_demand, require_triage_reader
from shaobao.intake.models import Demand
from shaobao.intake.selectors import DEFAULT_SEARCH_WINDOW, SEARCH_WINDOWS, filter_demands
from shaobao.org.access import require_member
from shaobao.routing import desk as _desk
from shaobao.routing.services import district_for, propose

router = Router(tags=["demands 诉求"])

REQUIRED = "必填 / This field is required"


def _answer(request: HttpRequest, result, demand_id: int) -> Demand:
    """The demand after an action. It may have left the caller's scope (a transfer), so read it by id."""
    demand = result if isinstance(result, Demand) else Demand.objects.get(pk=demand_id)
    return demand_detail(request.user, demand)


@router.post(
    "/demands",
    response={201: DemandSummaryOut, 200: DemandSummaryOut, **error_responses(400, 401, 403, 404)},
    summary="受理诉求 / Receive a demand",
)
def receive_demand(
    request: HttpRequest,
    response: HttpResponse,
    payload: DemandIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="重试时使用同一键，返回同一诉求（200）/ the same key on a retry returns the same demand (200)",
    ),
    desk: bool = Query(
        False,
        description="附带受理台信息（来电人历史诉求、疑似重复），供话务员使用；网关请勿开启 / also answer "
        "`desk` (the caller's earlier demands and likely duplicates) for an operator; gateways leave it off",
    ),
):
    """Receive a demand: 201 with the new demand; 200 with the original one when the
    `Idempotency-Key` was already used by the same caller (the request body is then ignored).

    The answer is the demand's summary (id, tracking code, state, placement) with `Location` pointing
    at the full record, so that intake stays cheap for high-volume gateways."""
    started = timezone.now()
    data = payload.dict()
    street, matter = data.pop("street"), data.pop("matter")
    demand = actions.do_receive_demand(
        actor=request.user,
        street_code=street or None,
        matter_code=matter or None,
        idempotency_key=idempotency_key,
        **data,
    )
    replayed = bool(idempotency_key) and _replayed(demand, started)
    # The answer is rendered here rather than validated through DemandSummaryOut by ninja: this runs for
    # every demand a gateway sends, and the schema's attribute getters cost more CPU than the rest of the
    # answer. `summary_answer` builds the same JSON (a test compares the two), rendered by the API's
    # renderer as `NinjaAPI.create_response` would.
    response.status_code = 200 if replayed else 201
    response["Location"] = f"{request.path.rstrip('/')}/{demand.pk}"
    answer = summary_answer(demand)
    if desk:
        answer["desk"] = IntakeDeskOut(**_desk.intake_desk(request.user, demand)).dict()
    response.content = RENDERER.render(request, answer, response_status=response.status_code)
    return response


def summary_answer(demand: Demand) -> dict:
    """`DemandSummaryOut` of a demand, as a dict ready for the renderer."""

    def ref(obj, *names):
        return None if obj is None else {name: getattr(obj, name) for name in names}

    return {
        "id": demand.pk,
        "tracking_code": demand.tracking_code,
        "channel": str(demand.channel),
        "kind": str(demand.kind),
        "subject": demand.subject,
        "urgency": str(demand.urgency),
        "state": str(demand.state),
        "state_label": str(demand.get_state_display()),
        "street": ref(demand.street, "code", "name"),
        "matter": ref(demand.matter, "code", "name"),
        "assigned_unit": ref(demand.assigned_unit, "code", "name", "kind"),
        "received_at": demand.received_at,
        "due_at": demand.due_at,
    }


def _replayed(demand: Demand, started) -> bool:
    """Did `do_receive_demand` hand back an earlier demand instead of creating one? It says so in
    `replayed`; without that attribute, a demand received before this request began was replayed."""
    flag = getattr(demand, "replayed", None)
    if flag is not None:
        return bool(flag)
    return demand.received_at < started


class DemandFilters(Schema):
    state: str | None = None
    street: str | None = Field(None, description="街乡代码 / street code")
    channel: str | None = None
    kind: str | None = None
    matter: str | None = Field(None, description="事项代码 / matter code")
    unit: str | None = Field(None, description="承办或被召集单位代码 / assigned or summoned unit code")
    urgency: str | None = None
    overdue: bool | None = None
    q: str | None = Field(
        None,
        description="查询码（可部分）、标题、内容、地址；有权查看报告人的角色还可搜姓名、电话（如后四位）"
        " / tracking code (or part of it), subject, body, address; for roles that may see reporters, "
        "also the caller's name or phone (e.g. its last 4 digits)",
    )
    within: Literal["30", "90", "365", "all"] = Field(
        DEFAULT_SEARCH_WINDOW,
        description="q 搜索的时间范围：近 30、90、365 天或 all（全部）；完整查询码不受限 / how far back `q` "
        "looks: demands received in the last 30, 90 or 365 days (default), or all; a whole tracking code "
        "is found whatever its age (as the staff list's search)",
    )


assert set(DemandFilters.model_fields["within"].annotation.__args__) == set(SEARCH_WINDOWS)  # noqa: S101


@router.get(
    "/demands",
    response={200: list[DemandSummaryOut], **error_responses(400, 401, 403)},
    summary="诉求列表 / List demands",
)
@paginate(PagePagination)
def list_demands(request: HttpRequest, filters: Query[DemandFilters]):
    """Demands the caller may see, newest first."""
    require_member(request.user)
    demands = Demand.objects.visible_to(request.user).select_related("street", "matter", "assigned_unit")
    return filter_demands(demands, viewer=request.user, **filters.dict()).order_by("-received_at", "-id")


class DeskDemandOut(Schema):
    id: int
    tracking_code: str
    subject: str
    state: str
    state_label: str
    received_at: datetime
    street: str | None
    score: float | None = Field(None, description="相似度 / similarity (0..1), when found by text")
    reporter_name: str | None = Field(None, description="已脱敏 / masked")
    reporter_phone: str | None = Field(None, description="已脱敏 / masked")


class IntakeDeskOut(Schema):
    caller_history: list[DeskDemandOut] = Field(
        description="同一电话的历史诉求（仅限有权查看报告人的角色，已脱敏）/ the caller's earlier demands by "
        "phone (only for roles that may see reporters; masked)"
    )
    duplicates: list[DeskDemandOut] = Field(
        description="疑似重复 / likely duplicates (same problem nearby, recent)"
    )


@router.get(
    "/demands/{demand_id}/desk",
    response={200: IntakeDeskOut, **error_responses(400, 401, 403, 404)},
    summary="受理台：来电人历史诉求与疑似重复 / Intake desk: caller's earlier demands and likely duplicates",
)
def intake_desk(request: HttpRequest, demand_id: int):
    """What the operator sees after recording a call. To attach the new call to one of them, POST
    `/demands/{demand_id}/triage` with `{"action": "merge", "into": <id>}` (audited). Also returned by
    `POST /demands?desk=true`."""
    return _desk.intake_desk(request.user, access_demand(request.user, demand_id))


class ProposalMatterOut(Schema):
    code: str
    name: str
    probability: float


class ProposalUnitOut(Schema):
    code: str
    name: str


class SelfHandlingOut(Schema):
    power_code: str = Field(description="赋权事项编码 / the delegated power's code")
    power_name: str
    since: date = Field(description="该权力生效日期 / the power's effective date")


class ProposalOut(Schema):
    matters: list[ProposalMatterOut] = Field(
        description="可能的事项，最可能的在前 / likely matters, best first"
    )
    lead_unit: ProposalUnitOut | None
    supporting_units: list[ProposalUnitOut]
    self_handling: SelfHandlingOut | None = Field(
        description="街乡持有该事项的执法权：建议由街乡综合执法队自办（lead_unit）/ the street holds the "
        "enforcement power: handle with its own team (lead_unit), `self_handle` in triage"
    )
    method: str


@router.get(
    "/demands/{demand_id}/proposal",
    response={200: ProposalOut, **error_responses(400, 401, 403, 404)},
    summary="智能分拨建议 / Routing proposal",
)
def routing_proposal(request: HttpRequest, demand_id: int):
    """What the triage page proposes: the likely matters and the units from the duty list — or, when the
    street holds the matter's enforcement power (a delegated power, docs/lists.md), the street's own
    enforcement team with the power as the reason. For the street's dispatchers and leaders and the
    district's coordinators (others 403). Duplicates: `GET /demands/{id}/desk`."""
    demand = access_demand(request.user, demand_id)
    require_triage_reader(request.user, demand)
    return propose(
        subject=demand.subject, body=demand.body, address=demand.address, district=district_for(demand),
        street=demand.street, community=demand.community, grid=demand.grid, exclude_demand_id=demand.pk,
        received_at=demand.received_at, find_duplicates_too=False,
    )  # fmt: skip


class LedgerFilters(DemandFilters):
    format: Literal["xlsx", "csv"] = Field("xlsx", description="xlsx 或 csv / xlsx or csv")


@router.get(
    "/demands/ledger",
    response={200: None, **error_responses(400, 401, 403)},
    summary="诉求台账导出 / Export the demand ledger (xlsx or CSV)",
)
def export_ledger(request: HttpRequest, filters: Query[LedgerFilters]):
    """The demands the caller may see, with the list's filters, as a file: street dispatchers, district
    coordinators and administrators only. Names and phones are always masked; text that a spreadsheet
    would run as a formula is written as text; headers follow `Accept-Language`. At most
    `LEDGER_MAX_ROWS` rows (default 20,000; more answers 400: narrow the filters); the CSV is streamed."""
    require_member(request.user)
    ledger.access_ledger(request.user)
    values = filters.dict()
    fmt = values.pop("format")
    demands = Demand.objects.visible_to(request.user)
    return ledger.response(ledger.bounded(filter_demands(demands, viewer=request.user, **values)), fmt)


@router.get(
    "/demands/{demand_id}",
    response={200: DemandOut, **error_responses(400, 401, 403, 404)},
    summary="诉求详情 / One demand",
)
def get_demand(request: HttpRequest, demand_id: int, reveal: bool = False):
    """Reporter name and phone are masked; `reveal=true` unmasks them for the roles that call
    residents back, and each unmasking is logged."""
    return demand_detail(request.user, access_demand(request.user, demand_id), reveal=reveal)


@router.post(
    "/demands/{demand_id}/triage",
    response={200: DemandOut, **error_responses(400, 401, 403, 404, 409)},
    summary="分拨 / Triage: self-handle, transfer or merge",
)
def triage(request: HttpRequest, demand_id: int, payload: TriageIn):
    """`self_handle` with `unit`, `transfer` with `street`, `merge` with `into` (a demand id)."""
    needed = {"self_handle": "unit", "transfer": "street", "merge": "into"}[payload.action]
    if getattr(payload, needed) in (None, ""):
        raise ValidationFailed("请求参数有误 / Invalid input", fields={needed: REQUIRED})
    access_demand(request.user, demand_id)
    user = request.user
    if payload.action == "self_handle":
        result = actions.do_self_handle(
            actor=user, demand_id=demand_id, unit_code=payload.unit, note=payload.note
        )
    elif payload.action == "transfer":
        result = actions.do_transfer(
            actor=user, demand_id=demand_id, street_code=payload.street, note=payload.note
        )
    else:
        result = actions.do_merge(actor=user, demand_id=demand_id, into_id=payload.into, note=payload.note)
    return _answer(request, result, demand_id)


@router.post(
    "/demands/{demand_id}/placement",
    response={200: DemandOut, **error_responses(400, 401, 403, 404, 409)},
    summary="更正定位 / Correct the placement",
)
def correct_placement(request: HttpRequest, demand_id: int, payload: PlacementIn):
    access_demand(request.user, demand_id)
    result = actions.do_correct_placement(
        actor=request.user,
        demand_id=demand_id,
        street_code=payload.street,
        community_code=payload.community,
        grid_code=payload.grid,
    )
    return _answer(request, result, demand_id)


@router.post(
    "/demands/{demand_id}/finish",
    response={200: DemandOut, **error_responses(400, 401, 403, 404, 409)},
    summary="自办办结 / Finish self-handling",
)
def finish_self_handling(request: HttpRequest, demand_id: int, payload: NoteIn):
    access_demand(request.user, demand_id)
    result = actions.do_finish_self_handling(actor=request.user, demand_id=demand_id, note=payload.note)
    return _answer(request, result, demand_id)


@router.post(
    "/demands/{demand_id}/verify",
    response={200: DemandOut, **error_responses(400, 401, 403, 404, 409)},
    summary="自办核查 / Verify self-handling",
)
def verify_self_handling(request: HttpRequest, demand_id: int, payload: VerifyIn):
    access_demand(request.user, demand_id)
    result = actions.do_verify_self_handling(
        actor=request.user, demand_id=demand_id, passed=payload.passed, note=payload.note
    )
    return _answer(request, result, demand_id)


@router.post(
    "/demands/{demand_id}/callback",
    response={200: DemandOut, **error_responses(400, 401, 403, 404, 409)},
    summary="回访 / Call the resident back",
)
def callback(request: HttpRequest, demand_id: int, payload: CallbackIn):
    """Unsolved or unsatisfied reopens the demand (rework)."""
    access_demand(request.user, demand_id)
    result = actions.do_callback(
        actor=request.user,
        demand_id=demand_id,
        solved=payload.solved,
        satisfaction=payload.satisfaction,
        note=payload.note,
    )
    return _answer(request, result, demand_id)
