"""Whistles, summonses and extension requests: the chain after triage (issue 3, part 11).

Views only parse → access → do → serialize; the rules live in `shaobao.whistles.actions`.
"""

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_workflow import (
    ArbitrateIn,
    ArbitrationOut,
    DecideExtensionIn,
    DisputeIn,
    ExtensionIn,
    ExtensionOut,
    NoteIn,
    SummonsOut,
    VerifyIn,
    WhistleIn,
    WhistleOut,
    WhistleSummaryOut,
)
from shaobao.api.serializers import summons_detail, whistle_detail
from shaobao.org.access import require_member
from shaobao.whistles import actions
from shaobao.whistles.access import access_extension, access_summons, access_whistle
from shaobao.whistles.models import ExtensionRequest, Summons, Whistle
from shaobao.whistles.selectors import filter_whistles

router = Router(tags=["whistles 吹哨报到"])

ACTION_ERRORS = error_responses(400, 401, 403, 404, 409)


def _summons(result, summons_id: int) -> Summons:
    summons = result if isinstance(result, Summons) else Summons.objects.get(pk=summons_id)
    return summons_detail(summons)


@router.post("/whistles", response={201: WhistleOut, **ACTION_ERRORS}, summary="吹哨 / Blow a whistle")
def blow_whistle(request: HttpRequest, payload: WhistleIn):
    """Summon the lead unit and the supporting units (proposed from the duty list when omitted)."""
    whistle = actions.do_blow_whistle(
        actor=request.user,
        demand_ids=payload.demands,
        type=payload.type,
        matter_code=payload.matter,
        lead_unit_code=payload.lead_unit or None,
        supporting_unit_codes=payload.supporting_units,
        note=payload.note,
    )
    return Status(201, whistle_detail(whistle))


class WhistleFilters(Schema):
    state: str | None = None
    type: str | None = None
    street: str | None = Field(None, description="街乡代码 / street code")
    unit: str | None = Field(None, description="被召集单位代码 / summoned unit code")
    matter: str | None = Field(None, description="事项代码 / matter code")
    overdue: bool | None = None
    q: str | None = None


@router.get(
    "/whistles",
    response={200: list[WhistleSummaryOut], **error_responses(400, 401, 403)},
    summary="吹哨列表 / List whistles",
)
@paginate(PagePagination)
def list_whistles(request: HttpRequest, filters: Query[WhistleFilters]):
    require_member(request.user)
    whistles = Whistle.objects.visible_to(request.user).select_related("street", "matter")
    return filter_whistles(whistles, **filters.dict()).order_by("-blown_at", "-id")


@router.get(
    "/whistles/{whistle_id}",
    response={200: WhistleOut, **error_responses(400, 401, 403, 404)},
    summary="吹哨详情 / One whistle with its summonses and events",
)
def get_whistle(request: HttpRequest, whistle_id: int):
    return whistle_detail(access_whistle(request.user, whistle_id))


@router.post(
    "/whistles/{whistle_id}/verify",
    response={200: WhistleOut, **ACTION_ERRORS},
    summary="核查 / Verify and close",
)
def verify_whistle(request: HttpRequest, whistle_id: int, payload: VerifyIn):
    """Passed closes the whistle and its demands; failed sends it back to the lead unit (rework)."""
    access_whistle(request.user, whistle_id)
    whistle = actions.do_verify(
        actor=request.user, whistle_id=whistle_id, passed=payload.passed, note=payload.note
    )
    return whistle_detail(whistle)


@router.get(
    "/summons/{summons_id}",
    response={200: SummonsOut, **error_responses(400, 401, 403, 404)},
    summary="报到单详情 / One summons",
)
def get_summons(request: HttpRequest, summons_id: int):
    return summons_detail(access_summons(request.user, summons_id))


@router.post(
    "/summons/{summons_id}/report-in", response={200: SummonsOut, **ACTION_ERRORS}, summary="报到 / Report in"
)
def report_in(request: HttpRequest, summons_id: int):
    access_summons(request.user, summons_id)
    return _summons(actions.do_report_in(actor=request.user, summons_id=summons_id), summons_id)


@router.post(
    "/summons/{summons_id}/dispute", response={200: SummonsOut, **ACTION_ERRORS}, summary="退单异议 / Dispute"
)
def dispute(request: HttpRequest, summons_id: int, payload: DisputeIn):
    access_summons(request.user, summons_id)
    return _summons(
        actions.do_dispute(actor=request.user, summons_id=summons_id, reason=payload.reason), summons_id
    )


@router.post(
    "/summons/{summons_id}/arbitrate",
    response={200: ArbitrationOut, **ACTION_ERRORS},
    summary="争议裁定 / Arbitrate a dispute",
)
def arbitrate(request: HttpRequest, summons_id: int, payload: ArbitrateIn):
    """uphold: the summons is withdrawn (and `reassign_to` summoned instead); reject: the unit must act."""
    access_summons(request.user, summons_id)
    result = actions.do_arbitrate(
        actor=request.user,
        summons_id=summons_id,
        decision=payload.decision,
        reassign_to=payload.reassign_to or None,
        note=payload.note,
    )
    reassigned = result if isinstance(result, Summons) and result.pk != summons_id else None
    return {
        "summons": _summons(None, summons_id),
        "reassigned": summons_detail(reassigned) if reassigned is not None else None,
    }


@router.post(
    "/summons/{summons_id}/progress",
    response={200: SummonsOut, **ACTION_ERRORS},
    summary="办理记录 / Record progress",
)
def record_progress(request: HttpRequest, summons_id: int, payload: NoteIn):
    access_summons(request.user, summons_id)
    actions.do_record_progress(actor=request.user, summons_id=summons_id, note=payload.note)
    return _summons(None, summons_id)


@router.post(
    "/summons/{summons_id}/progress/photo",
    response={200: SummonsOut, **ACTION_ERRORS},
    summary="办理记录（带照片）/ Record progress with a photo (multipart)",
)
def record_progress_with_photo(
    request: HttpRequest,
    summons_id: int,
    photo: File[UploadedFile],
    note: str = Form(..., min_length=1, max_length=5000),
):
    """multipart/form-data with `note` and `photo` (JPEG/PNG/GIF/WebP; size limited, stored under a
    generated name by the action)."""
    access_summons(request.user, summons_id)
    actions.do_record_progress(actor=request.user, summons_id=summons_id, note=note, photo=photo)
    return _summons(None, summons_id)


@router.post(
    "/summons/{summons_id}/extension",
    response={201: ExtensionOut, **ACTION_ERRORS},
    summary="申请延期 / Ask for an extension",
)
def request_extension(request: HttpRequest, summons_id: int, payload: ExtensionIn):
    access_summons(request.user, summons_id)
    extension = actions.do_request_extension(
        actor=request.user, summons_id=summons_id, days=payload.days, reason=payload.reason
    )
    return Status(201, extension)


@router.post(
    "/summons/{summons_id}/finish", response={200: SummonsOut, **ACTION_ERRORS}, summary="办结 / Finish"
)
def finish(request: HttpRequest, summons_id: int, payload: NoteIn):
    """A supporting unit finishes its part; the lead unit's finish feeds the result back to the street."""
    access_summons(request.user, summons_id)
    return _summons(
        actions.do_finish(actor=request.user, summons_id=summons_id, note=payload.note), summons_id
    )


@router.post(
    "/extensions/{extension_id}/decide",
    response={200: ExtensionOut, **ACTION_ERRORS},
    summary="延期审批 / Grant or refuse an extension",
)
def decide_extension(request: HttpRequest, extension_id: int, payload: DecideExtensionIn):
    access_extension(request.user, extension_id)
    result = actions.do_decide_extension(
        actor=request.user, extension_id=extension_id, grant=payload.grant, note=payload.note
    )
    return result if isinstance(result, ExtensionRequest) else ExtensionRequest.objects.get(pk=extension_id)
