"""Delegated powers (赋权清单) and the street's powers: urge/proposal notes, stationed staff and
recommendations (issue 12, part 1). Views only parse → access → do → serialize; the rules are in
`shaobao.powers.actions` and `shaobao.powers.access`, as for the pages.
"""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_powers import (
    AnswerIn,
    NoteOut,
    PowerIn,
    PowerOut,
    RecommendationAnswerIn,
    RecommendationIn,
    RecommendationOut,
    StaffOut,
    StreetNoteIn,
    WithdrawIn,
)
from shaobao.org.access import require_staff
from shaobao.powers import access, actions
from shaobao.powers.selectors import filter_powers

router = Router(tags=["powers 赋权清单与街乡职权"])
ACTION_ERRORS = error_responses(400, 401, 403, 404, 409)


class Mapped:
    """A queryset serialized page by page: the pagination counts it and slices it; only the page's rows
    are turned into dicts."""

    def __init__(self, qs, serialize):
        self.qs, self.serialize = qs, serialize

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, window: slice) -> list[dict]:
        return [self.serialize(row) for row in self.qs[window]]


def _power(power, *, versions: bool = False) -> dict:
    out = {
        "id": power.pk,
        "code": power.code,
        "name": power.name,
        "category": power.category,
        "legal_basis": power.legal_basis,
        "department": power.department.code,
        "district": power.district.code,
        "streets": sorted(s.code for s in power.streets.all()),
        "matters": sorted(m.matter_code for m in power.matters.all()),
        "effective_date": power.effective_date,
        "status": power.status,
        "in_force": power.is_acting,
        "withdrawn_on": power.withdrawn_on,
        "withdrawal_reason": power.withdrawal_reason,
        "version": power.version,
    }
    if versions:
        out["versions"] = [
            {"version": v.version, "change": v.change, "at": v.at, "note": v.note, "snapshot": v.snapshot}
            for v in power.versions.order_by("-version")
        ]
    return out


class PowerFilters(Schema):
    street: str | None = Field(None, description="承接街乡代码 / street code")
    department: str | None = Field(None, description="下放部门代码 / department unit code")
    category: str | None = Field(
        None, description="penalty | inspection | enforcement_measure | licensing | other"
    )
    in_force: bool | None = Field(None, description="true: 今天生效的 / acting today; false: 撤回或尚未生效")
    status: str | None = Field(None, description="in_force | pending | withdrawn")
    q: str | None = Field(None, description="编码、名称、依据中的文字 / text in code, name or legal basis")


@router.get(
    "/powers", response={200: list[PowerOut], **error_responses(400, 401, 403)}, summary="赋权清单 / List"
)
@paginate(PagePagination)
def list_powers(request: HttpRequest, filters: Query[PowerFilters]):
    """District roles see their district's list; a street the powers delegated to it; a unit those from it."""
    require_staff(request.user)
    qs = access.powers_visible_to(request.user).select_related("department", "district")
    qs = filter_powers(qs, **{k: v for k, v in filters.dict().items() if v is not None and v != ""})
    return Mapped(qs.order_by("code").prefetch_related("streets", "matters"), _power)


@router.post(
    "/powers",
    response={201: PowerOut, 200: PowerOut, **ACTION_ERRORS},
    summary="新增赋权事项 / Create a power",
)
def create_power(request: HttpRequest, payload: PowerIn, idempotency_key: str | None = key_header()):
    """District coordinators and administrators only. 400 names each bad field (`legal_basis` when empty,
    `department`, `streets`, `matters`, `code` when already used); nothing is written. 200 with the first
    power when the `Idempotency-Key` was already used by the same caller."""
    district = access.managed_district(request.user, payload.district)
    data = payload.dict(exclude={"district", "note"})
    power, replayed = create_once(
        request.user,
        "powers",
        idempotency_key,
        lambda: actions.do_create_power(actor=request.user, district=district, note=payload.note, **data),
        lambda pk: access.access_power(request.user, pk),
    )
    return Status(200 if replayed else 201, _power(power, versions=True))


@router.get(
    "/powers/{power_id}",
    response={200: PowerOut, **error_responses(400, 401, 403, 404)},
    summary="赋权事项 / One power",
)
def get_power(request: HttpRequest, power_id: int):
    return _power(access.access_power(request.user, power_id), versions=True)


@router.put(
    "/powers/{power_id}", response={200: PowerOut, **ACTION_ERRORS}, summary="修改 / Edit (new version)"
)
def edit_power(request: HttpRequest, power_id: int, payload: PowerIn):
    """A new version; a withdrawn power cannot be edited (409)."""
    data = payload.dict(exclude={"district", "note"})
    power = actions.do_edit_power(actor=request.user, power_id=power_id, note=payload.note, **data)
    return _power(power, versions=True)


@router.post(
    "/powers/{power_id}/withdraw", response={200: PowerOut, **ACTION_ERRORS}, summary="撤回 / Withdraw"
)
def withdraw_power(request: HttpRequest, power_id: int, payload: WithdrawIn):
    """The power stops acting at once (routing no longer proposes self-handling); withdrawing twice: 409."""
    power = actions.do_withdraw_power(actor=request.user, power_id=power_id, reason=payload.reason)
    return _power(power, versions=True)


# --- notes on summonses (处置建议权, 统筹督促权) ------------------------------------------------------


def _note(note) -> dict:
    return {
        "id": note.pk,
        "kind": note.kind,
        "summons": note.summons_id,
        "whistle": note.summons.whistle_id,
        "street": note.street.code,
        "unit": note.unit.code,
        "text": note.text,
        "created_at": note.created_at,
        "state": note.state,
        "answer": note.answer,
        "answered_at": note.answered_at,
    }


class NoteFilters(Schema):
    kind: str | None = Field(None, description="proposal | urge")
    state: str | None = Field(None, description="open | answered")
    unit: str | None = Field(None, description="单位代码 / unit code")


@router.get(
    "/street-notes",
    response={200: list[NoteOut], **error_responses(400, 401, 403)},
    summary="处置建议与督促 / Notes",
)
@paginate(PagePagination)
def list_notes(request: HttpRequest, filters: Query[NoteFilters]):
    require_staff(request.user)
    qs = access.notes_visible_to(request.user).select_related("street", "unit", "summons")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.unit:
        qs = qs.filter(unit__code=filters.unit)
    return Mapped(qs.order_by("-created_at", "-id"), _note)


@router.post(
    "/street-notes", response={201: NoteOut, **ACTION_ERRORS}, summary="提出处置建议或督促 / File a note"
)
def file_note(request: HttpRequest, payload: StreetNoteIn):
    """`proposal`: the street's dispatchers and leaders; `urge`: its leaders (counts in the unit's evaluation).
    The summons must be open (409 otherwise)."""
    note = actions.do_file_note(
        actor=request.user, summons_id=payload.summons, kind=payload.kind, text=payload.text
    )
    return Status(201, _note(note))


@router.post(
    "/street-notes/{note_id}/answer", response={200: NoteOut, **ACTION_ERRORS}, summary="答复 / Answer"
)
def answer_note(request: HttpRequest, note_id: int, payload: AnswerIn):
    """The summoned unit answers once; a second answer is 409."""
    return _note(actions.do_answer_note(actor=request.user, note_id=note_id, answer=payload.answer))


# --- stationed staff and recommendations (派驻人员任免建议权) -------------------------------------------


def _staff(s) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "position": s.position,
        "street": s.street.code,
        "department": s.department.code,
        "since": s.since,
        "is_active": s.is_active,
    }


def _rec(r) -> dict:
    return {
        "id": r.pk,
        "staff": _staff(r.staff),
        "kind": r.kind,
        "reason": r.reason,
        "street": r.street.code,
        "department": r.department.code,
        "filed_at": r.filed_at,
        "state": r.state,
        "answer": r.answer,
        "answered_at": r.answered_at,
    }


@router.get(
    "/stationed-staff",
    response={200: list[StaffOut], **error_responses(400, 401, 403)},
    summary="派驻人员 / Stationed staff",
)
@paginate(PagePagination)
def list_staff(request: HttpRequest, street: str | None = Query(None, description="街乡代码 / street code")):
    require_staff(request.user)
    qs = access.staff_visible_to(request.user).select_related("street", "department")
    if street:
        from shaobao.org.models import Division

        qs = qs.filter(street__code=Division.full_code(street))
    return Mapped(qs.order_by("street__code", "name"), _staff)


class RecFilters(Schema):
    state: str | None = Field(None, description="filed | accepted | declined")
    street: str | None = None
    department: str | None = None


@router.get(
    "/recommendations",
    response={200: list[RecommendationOut], **error_responses(400, 401, 403)},
    summary="任免建议 / Recommendations",
)
@paginate(PagePagination)
def list_recommendations(request: HttpRequest, filters: Query[RecFilters]):
    require_staff(request.user)
    qs = access.recommendations_visible_to(request.user).select_related(
        "staff__street", "staff__department", "street", "department"
    )
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.street:
        from shaobao.org.models import Division

        qs = qs.filter(street__code=Division.full_code(filters.street))
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    return Mapped(qs.order_by("-filed_at", "-id"), _rec)


@router.post(
    "/recommendations", response={201: RecommendationOut, **ACTION_ERRORS}, summary="提出任免建议 / File"
)
def file_recommendation(request: HttpRequest, payload: RecommendationIn):
    """The street of the stationed staff member (its dispatchers and leaders) files; the department answers."""
    rec = actions.do_file_recommendation(
        actor=request.user, staff_id=payload.staff, kind=payload.kind, reason=payload.reason
    )
    return Status(201, _rec(rec))


@router.post(
    "/recommendations/{rec_id}/answer",
    response={200: RecommendationOut, **ACTION_ERRORS},
    summary="部门答复 / Answer",
)
def answer_recommendation(request: HttpRequest, rec_id: int, payload: RecommendationAnswerIn):
    """The department accepts or declines once; a second answer is 409."""
    rec = actions.do_answer_recommendation(
        actor=request.user, recommendation_id=rec_id, accepted=payload.accepted, answer=payload.answer
    )
    return _rec(rec)
