"""Task admission (issue 12, section 2): admission requests (file, list, decide) and the community catalogue.

Views only parse → access → do → serialize; the rules live in `shaobao.admission.actions` and `access`.
"""

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.admission import access, actions, selectors
from shaobao.admission.models import EntryKind, RequestKind, RequestState
from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_admission import (
    AdmissionDecideIn,
    AdmissionRequestIn,
    AdmissionRequestOut,
    CatalogueEntryOut,
)
from shaobao.core.errors import Forbidden, NotFound, ValidationFailed
from shaobao.org.models import Division, Unit

router = Router(tags=["admission 事务准入"])

ACTION_ERRORS = error_responses(400, 401, 403, 404, 409)
LIST_ERRORS = error_responses(400, 401, 403, 404)


def _requests(user):
    if not access.may_see_requests(user):
        raise Forbidden(
            "准入申请仅供部门和区级使用 / Admission requests are for departments and the district"
        )
    return (
        access.requests_visible_to(user)
        .select_related("district", "unit", "entry")
        .prefetch_related(Prefetch("communities", queryset=Division.objects.order_by("code")))
    )


class RequestFilters(Schema):
    state: RequestState | None = None
    kind: RequestKind | None = None
    unit: str | None = Field(None, description="部门代码 / department code")
    q: str | None = Field(None, max_length=200)


@router.get(
    "/admission-requests",
    response={200: list[AdmissionRequestOut], **LIST_ERRORS},
    summary="准入申请列表 / List admission requests",
)
@paginate(PagePagination)
def list_requests(request: HttpRequest, filters: Query[RequestFilters]):
    """A department's handlers and leaders see their unit's requests; the district's coordinators all."""
    access.user_district(request.user)
    qs = _requests(request.user)
    data = {k: v or "" for k, v in filters.dict().items()}
    return selectors.filter_requests(qs, **data).order_by("-filed_at", "-id")


@router.post(
    "/admission-requests",
    response={201: AdmissionRequestOut, 200: AdmissionRequestOut, **ACTION_ERRORS},
    summary="提交准入申请 / File an admission request",
)
def file_request(
    request: HttpRequest, payload: AdmissionRequestIn, idempotency_key: str | None = key_header()
):
    """A department asks to put a task, ledger, certificate, meeting or signboard on communities. 200 with
    the first request when the `Idempotency-Key` was already used by the same caller."""
    access.user_district(request.user)
    unit = Unit.objects.visible_to(request.user).filter(code=payload.unit).first()
    if unit is None:
        raise ValidationFailed("部门不存在 / Unknown unit", fields={"unit": "部门不存在 / Unknown unit"})
    req, replayed = create_once(
        request.user,
        "admission-requests",
        idempotency_key,
        lambda: actions.do_file_request(
            actor=request.user,
            unit=unit,
            kind=payload.kind,
            name=payload.name,
            basis=payload.basis,
            reason=payload.reason,
            communities=payload.communities,
            valid_from=payload.valid_from,
            valid_until=payload.valid_until,
            outside=payload.outside,
        ),
        lambda pk: _requests(request.user).get(pk=pk),
    )
    return Status(200 if replayed else 201, _requests(request.user).get(pk=req.pk))


@router.get(
    "/admission-requests/{request_id}",
    response={200: AdmissionRequestOut, **LIST_ERRORS},
    summary="准入申请详情 / One admission request",
)
def get_request(request: HttpRequest, request_id: int):
    access.access_request(request.user, request_id)
    return _requests(request.user).get(pk=request_id)


@router.post(
    "/admission-requests/{request_id}/decide",
    response={200: AdmissionRequestOut, **ACTION_ERRORS},
    summary="审批准入申请 / Approve or refuse an admission request",
)
def decide_request(request: HttpRequest, request_id: int, payload: AdmissionDecideIn):
    """approve: the item enters the catalogue with its basis and period; refuse: `note` (the reason) is
    required. A request already decided answers 409 `already_decided`, nothing changed."""
    actions.do_decide_request(
        actor=request.user, request_id=request_id, approve=payload.decision == "approve", note=payload.note
    )
    return _requests(request.user).get(pk=request_id)


class CatalogueFilters(Schema):
    community: str | None = Field(None, description="社区区划代码 / community code: entries that apply to it")
    kind: EntryKind | None = None
    unit: str | None = Field(None, description="相关部门代码 / department code")
    in_force: bool | None = Field(None, description="仅有效/仅失效 / in force today (true) or not (false)")
    q: str | None = Field(None, max_length=200)


@router.get(
    "/community-catalogue",
    response={200: list[CatalogueEntryOut], **LIST_ERRORS},
    summary="村（社区）事务目录 / The community catalogue",
)
@paginate(PagePagination)
def list_catalogue(request: HttpRequest, filters: Query[CatalogueFilters]):
    """The catalogue of the caller's district; with `community`, the entries that apply to that community
    (those for every community and those naming it)."""
    district = access.user_district(request.user)
    community = None
    if filters.community:
        try:
            community = access.access_community(request.user, filters.community)
        except NotFound as exc:
            raise ValidationFailed(exc.message, fields={"community": exc.message}) from exc
    in_force = "" if filters.in_force is None else ("yes" if filters.in_force else "no")
    qs = access.catalogue_visible_to(request.user).filter(district=district)
    qs = selectors.filter_catalogue(
        qs,
        kind=filters.kind or "",
        unit=filters.unit or "",
        in_force=in_force,
        q=filters.q or "",
        community=community,
    )
    return (
        qs.select_related("unit")
        .prefetch_related(Prefetch("communities", queryset=Division.objects.order_by("code")))
        .order_by("kind", "code")
    )
