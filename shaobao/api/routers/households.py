"""Grids and households over the API (issue 13, part 2): grid workers, households (scoped, masked), joint-defence
groups, and the emergency tap (idempotent). Same permissions as the pages (`shaobao.households.access`): the
district lists grid workers but never a household; a street its own; a grid worker their grids'. Views only
parse → act → serialize; the rules are in `shaobao.households.actions`.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.households import actions, privacy, selectors
from shaobao.households.models import GridWorker, Household, HouseholdGroup, TapState, WorkerKind

router = Router(tags=["households 网格与住户"])

LIST_ERRORS = error_responses(400, 401, 403)
CREATE_ERRORS = error_responses(400, 401, 403, 404)


class HouseholdPlaceOut(Schema):
    code: str
    name: str


class WorkerIn(Schema):
    username: str = Field(
        ..., max_length=150, description="网格员账号（须有本街乡网格员角色）/ the grid worker's account"
    )
    grid: str = Field(..., max_length=40, description="网格编码 / grid code")
    kind: WorkerKind = Field(WorkerKind.FULL_TIME, description="专职 / 兼职 (stable codes)")
    micro_grid: str = Field("", max_length=48, description="微网格编码 / micro-grid code (optional)")
    since: dt.date | None = None


class WorkerOut(Schema):
    id: int
    username: str
    name: str
    grid: HouseholdPlaceOut
    street: HouseholdPlaceOut
    micro_grid: str | None
    kind: WorkerKind
    since: dt.date
    is_active: bool


class HouseholdIn(Schema):
    grid: str = Field(..., max_length=40, description="网格编码 / grid code")
    address: str = Field(..., max_length=200)
    head_name: str = Field(..., max_length=60, description="户主 / head of household")
    head_phone: str = Field(..., max_length=20)
    persons: int = Field(1, description="人数 1–50 / persons living there")
    micro_grid: str = Field("", max_length=48)
    group: int | None = Field(None, description="联防小组编号 / joint-defence group id")


class HouseholdOut(Schema):
    id: int
    address: str
    head_name: str = Field(..., description="掩码 / masked (unmask on the page, logged)")
    head_phone: str = Field(..., description="掩码 / masked (unmask on the page, logged)")
    persons: int
    grid: HouseholdPlaceOut
    street: HouseholdPlaceOut
    micro_grid: str | None
    group: int | None


class GroupIn(Schema):
    grid: str = Field(..., max_length=40)
    name: str = Field(..., max_length=60)
    households: list[int] = Field(
        ..., description="2–10 户，同一网格、未编组 / 2 to 10 households of the grid"
    )
    lead: int = Field(..., description="联户长户编号（须在组内）/ the lead household's id, one of them")
    lead_username: str = Field("", max_length=150, description="联户长账号 / the lead's account (optional)")


class GroupOut(Schema):
    id: int
    name: str
    grid: HouseholdPlaceOut
    street: HouseholdPlaceOut
    lead: int | None
    lead_username: str | None
    households: int
    persons: int


class TapIn(Schema):
    household: int
    state: TapState = Field(..., description="已通知 warned / 已转移 moved / 失联 missing (stable codes)")
    persons: int | None = Field(
        None, description="人数 0–50，缺省为该户人数 / head count (default: the household's)"
    )
    tapped_at: dt.datetime | None = Field(
        None,
        description="手机上点按的时间（离线排队后补发）/ when tapped on the phone (queued taps arrive later)",
    )


class TapOut(Schema):
    broadcast: int
    household: int
    state: TapState
    persons: int
    created: bool = Field(
        ..., description="false: 同一确认已存在（重放）/ already there (a replay), nothing counted twice"
    )


class _Mapped:
    """A queryset whose slices are mapped to dicts: count() asks the database, a slice is one query."""

    def __init__(self, qs, fn):
        self.qs, self.fn = qs, fn

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def all(self):
        return self

    def __getitem__(self, item):
        return [self.fn(row) for row in self.qs[item]]


def _place(d) -> dict:
    return {"code": d.code, "name": d.name}


def _worker(w: GridWorker) -> dict:
    return {
        "id": w.pk,
        "username": w.user.username,
        "name": str(w.user),
        "grid": _place(w.grid),
        "street": _place(w.street),
        "micro_grid": w.micro_grid.code if w.micro_grid_id else None,
        "kind": w.kind,
        "since": w.since,
        "is_active": w.is_active,
    }


def _household(user, h: Household) -> dict:
    contact = privacy.contact(user, h)
    return {
        "id": h.pk,
        "address": h.address,
        "head_name": contact["name"],
        "head_phone": contact["phone"],
        "persons": h.persons,
        "grid": _place(h.grid),
        "street": _place(h.street),
        "micro_grid": h.micro_grid.code if h.micro_grid_id else None,
        "group": h.group_id,
    }


def _group(g: HouseholdGroup) -> dict:
    return {
        "id": g.pk,
        "name": g.name,
        "grid": _place(g.grid),
        "street": _place(g.street),
        "lead": g.lead_id,
        "lead_username": g.lead_user.username if g.lead_user_id else None,
        "households": g.size,
        "persons": g.persons,
    }


class WorkerFilters(Schema):
    street: str | None = Field(None, description="街乡代码 / street code")
    grid: str | None = Field(None, description="网格编码 / grid code")
    kind: WorkerKind | None = None
    q: str | None = Field(None, max_length=60, description="姓名或账号 / name or account")


@router.get("/grid-workers", response={200: list[WorkerOut], **LIST_ERRORS}, summary="网格员 / Grid workers")
@paginate(PagePagination)
def list_workers(request: HttpRequest, filters: Query[WorkerFilters]):
    """The district's grid workers for the district, the street's for its staff (active ones)."""
    qs = selectors.workers_for(
        request.user,
        street=filters.street or "",
        grid=filters.grid or "",
        kind=filters.kind or "",
        q=filters.q or "",
    )
    return _Mapped(qs, _worker)


@router.post(
    "/grid-workers", response={201: WorkerOut, **CREATE_ERRORS}, summary="安排网格员 / Attach a grid worker"
)
def create_worker(request: HttpRequest, payload: WorkerIn):
    worker = actions.do_attach_worker(
        actor=request.user,
        username=payload.username,
        grid_code=payload.grid,
        kind=payload.kind,
        micro_grid_code=payload.micro_grid,
        since=payload.since,
    )
    return Status(201, _worker(worker))


class HouseholdFilters(Schema):
    street: str | None = None
    grid: str | None = None
    group: int | None = None
    q: str | None = Field(
        None, max_length=60, description="地址，或户主姓名/电话（可查看者）/ address, or contact"
    )


@router.get("/households", response={200: list[HouseholdOut], **LIST_ERRORS}, summary="住户 / Households")
@paginate(PagePagination)
def list_households(request: HttpRequest, filters: Query[HouseholdFilters]):
    """The street's households for its staff, a grid worker's grids', a lead's group; contacts masked. The
    district: 403 (it sees counts only)."""
    qs = selectors.households_for(
        request.user,
        street=filters.street or "",
        grid=filters.grid or "",
        group=str(filters.group or ""),
        q=filters.q or "",
    )
    user = request.user
    return _Mapped(qs, lambda h: _household(user, h))


@router.post(
    "/households", response={201: HouseholdOut, **CREATE_ERRORS}, summary="登记住户 / Register a household"
)
def create_household(request: HttpRequest, payload: HouseholdIn):
    household = actions.do_register_household(
        actor=request.user,
        grid_code=payload.grid,
        address=payload.address,
        head_name=payload.head_name,
        head_phone=payload.head_phone,
        persons=payload.persons,
        micro_grid_code=payload.micro_grid,
        group_id=payload.group,
    )
    return Status(201, _household(request.user, household))


class GroupFilters(Schema):
    street: str | None = None
    grid: str | None = None
    q: str | None = Field(None, max_length=60)


@router.get(
    "/household-groups",
    response={200: list[GroupOut], **LIST_ERRORS},
    summary="五户联防小组 / Joint-defence groups",
)
@paginate(PagePagination)
def list_groups(request: HttpRequest, filters: Query[GroupFilters]):
    qs = selectors.groups_for(
        request.user, street=filters.street or "", grid=filters.grid or "", q=filters.q or ""
    )
    return _Mapped(qs, _group)


@router.post(
    "/household-groups",
    response={201: GroupOut, **CREATE_ERRORS},
    summary="编组 / Form a joint-defence group",
    description="400 `households: already_grouped | unknown_or_other_grid | between_2_and_10`, "
    "`lead: not_in_group`; nothing written.",
)
def create_group(request: HttpRequest, payload: GroupIn):
    group = actions.do_form_group(
        actor=request.user,
        grid_code=payload.grid,
        name=payload.name,
        household_ids=payload.households,
        lead_id=payload.lead,
        lead_username=payload.lead_username,
    )
    group = selectors.groups_for(request.user).get(pk=group.pk)
    return Status(201, _group(group))


@router.post(
    "/emergencies/{broadcast_id}/taps",
    response={201: TapOut, 200: TapOut, **error_responses(400, 401, 403, 404)},
    summary="逐户确认 / Confirm a household (idempotent)",
    description="Idempotent per (broadcast, household, state): 201 when new, 200 when the same confirmation is "
    "already there (a replay from an offline queue counts once); a later `tapped_at` with another `persons` "
    "corrects the head count.",
)
def create_tap(request: HttpRequest, broadcast_id: int, payload: TapIn):
    tap, created = actions.do_tap(
        actor=request.user,
        broadcast_id=broadcast_id,
        household_id=payload.household,
        state=payload.state,
        persons=payload.persons,
        tapped_at=payload.tapped_at,
    )
    body = {
        "broadcast": broadcast_id,
        "household": tap.household_id,
        "state": tap.state,
        "persons": tap.persons,
        "created": created,
    }
    return Status(201 if created else 200, body)


class BoardRowOut(Schema):
    grid: HouseholdPlaceOut
    street: str
    households: int
    persons: int
    reached: int
    reached_persons: int
    moved: int
    moved_persons: int
    missing: int
    missing_persons: int
    pending: int
    pending_persons: int


class BoardOut(Schema):
    broadcast: int
    rows: list[BoardRowOut]
    total: dict[str, int]


@router.get(
    "/emergencies/{broadcast_id}/board",
    response={200: BoardOut, **error_responses(400, 401, 403, 404)},
    summary="到户看板 / Households reached, moved, missing per grid",
)
def board(request: HttpRequest, broadcast_id: int):
    """Counts only (the district sees every grid of the broadcast's streets, a street its own, a grid worker
    their grids)."""
    broadcast = selectors.reached_broadcast(request.user, broadcast_id)
    figures = selectors.board(request.user, broadcast)
    rows = [
        {**{k: v for k, v in r.items() if k != "grid"}, "grid": _place(r["grid"])} for r in figures["rows"]
    ]
    return {"broadcast": broadcast.pk, "rows": rows, "total": figures["total"]}
