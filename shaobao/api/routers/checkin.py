"""双报到 over the API: organisations and members checked in to communities, and their service records
(issue 11, part 5). Same permissions as the pages (`shaobao.checkin.access`); members' names and phones come
masked as on the pages (`checkin.privacy`). Views only parse → act → serialize; the rules are in
`shaobao.checkin.actions` (a member checked in twice to the same community: 400 naming `community`, nothing
written).
"""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.checkin import actions, privacy, selectors
from shaobao.checkin.access import access_record, reach, require_checkin_staff, require_checkin_user
from shaobao.checkin.models import MemberCheckin, MemberKind, OrganisationCheckin, RecordState, ServiceRecord
from shaobao.core.errors import ValidationFailed
from shaobao.org.models import Division

router = Router(tags=["checkin 双报到"])

LIST_ERRORS = error_responses(400, 401, 403)
CREATE_ERRORS = error_responses(400, 401, 403, 404)
FROM_HELP = "YYYY-MM-DD：期间第一天（含）/ first day of the period, included"
TO_HELP = "YYYY-MM-DD：期间最后一天（含）/ last day of the period, included"


# --- schemas ---------------------------------------------------------------------------------------


class CheckinPlaceOut(Schema):
    code: str
    name: str


class OrganisationIn(Schema):
    community: str = Field(..., description="社区代码 / community code (12 digits)")
    unit: str | None = Field(
        None, description="单位代码（区属单位）/ unit code, when the organisation is a unit"
    )
    name: str = Field(
        "", max_length=100, description="组织名称（单位缺省为单位名称）/ name (default: the unit's)"
    )
    skills: str = Field("", max_length=300)
    resources: str = Field("", max_length=300)
    contact: str = Field("", max_length=60)
    checked_in_on: dt.date | None = None


class OrganisationOut(Schema):
    id: int
    name: str
    unit: str | None
    community: CheckinPlaceOut
    street: CheckinPlaceOut
    skills: str
    resources: str
    checked_in_on: dt.date
    is_active: bool


class CheckinMemberIn(Schema):
    community: str = Field(..., description="居住地社区代码 / code of the community where the member lives")
    name: str = Field(..., max_length=60)
    phone: str = Field(..., max_length=20)
    kind: MemberKind = Field(MemberKind.PARTY_MEMBER, description="成员类别 / kind of member (stable codes)")
    organisation: int | None = Field(None, description="报到组织编号 / id of a checked-in organisation")
    employer: str = Field("", max_length=100)
    skills: str = Field("", max_length=300)
    resources: str = Field("", max_length=300)
    username: str | None = Field(
        None, description="账号（获得报到成员角色）/ an account, given the member role"
    )
    checked_in_on: dt.date | None = None


class CheckinMemberOut(Schema):
    id: int
    name: str = Field(..., description="无权查看时为掩码 / masked unless you manage the community")
    phone: str = Field(..., description="掩码 / masked (unmask on the member page, logged)")
    kind: MemberKind
    community: CheckinPlaceOut
    street: CheckinPlaceOut
    organisation: int | None
    employer: str
    skills: str
    resources: str
    checked_in_on: dt.date
    is_active: bool


class RecordIn(Schema):
    what: str = Field(..., max_length=200)
    hours: Decimal = Field(..., description="0 < hours ≤ 24")
    served_on: dt.date | None = None
    member: int | None = Field(None, description="成员编号（本人可省略）/ member id (omit for yourself)")
    need: int | None = Field(None, description="需求编号 / id of the need served")
    confirmation_code: str = Field(
        "", max_length=8, description="居民确认码 / the resident's confirmation code"
    )
    note: str = Field("", max_length=200)


class RecordOut(Schema):
    id: int
    member: int
    organisation: int | None
    community: CheckinPlaceOut
    need: int | None
    what: str
    hours: Decimal
    served_on: dt.date
    state: RecordState
    confirm_method: str


class ConfirmIn(Schema):
    confirmed: bool = True
    note: str = Field("", max_length=200)


def _place(d) -> dict:
    return {"code": d.code, "name": d.name}


def _org(o: OrganisationCheckin) -> dict:
    return {
        "id": o.pk,
        "name": o.name,
        "unit": o.unit.code if o.unit_id else None,
        "community": _place(o.community),
        "street": _place(o.street),
        "skills": o.skills,
        "resources": o.resources,
        "checked_in_on": o.checked_in_on,
        "is_active": o.is_active,
    }


def _member(user, m: MemberCheckin) -> dict:
    contact = privacy.member_contact(user, m)
    return {
        "id": m.pk,
        "name": contact["name"],
        "phone": contact["phone"],
        "kind": m.kind,
        "community": _place(m.community),
        "street": _place(m.street),
        "organisation": m.organisation_id,
        "employer": m.employer,
        "skills": m.skills,
        "resources": m.resources,
        "checked_in_on": m.checked_in_on,
        "is_active": m.is_active,
    }


def _record(r: ServiceRecord) -> dict:
    return {
        "id": r.pk,
        "member": r.member_id,
        "organisation": r.organisation_id,
        "community": _place(r.community),
        "need": r.need_id,
        "what": r.what,
        "hours": r.hours,
        "served_on": r.served_on,
        "state": r.state,
        "confirm_method": r.confirm_method,
    }


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


class Filters(Schema):
    host: str | None = Field(
        None, description="区划代码（街乡或社区，含下级）/ a street's or a community's code (and below)"
    )
    community: str | None = Field(None, description="社区代码 / community code")
    street: str | None = Field(None, description="街乡代码 / street code")
    unit: str | None = Field(None, description="单位代码 / unit code (the organisation's unit)")
    date_from: dt.date | None = Field(None, alias="from", description=FROM_HELP)
    date_to: dt.date | None = Field(None, alias="to", description=TO_HELP)


def _hosted(qs, filters: Filters):
    """`host`: the check-ins (or services) in a street's or a community's territory; an unknown code, none."""
    if not filters.host:
        return qs
    host = (
        Division.objects.filter(code=Division.full_code(filters.host)).first()
        if filters.host.isdigit()
        else None
    )
    return qs.filter(community__code__startswith=host.prefix) if host else qs.none()


def _period(filters: Filters) -> dict:
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise ValidationFailed(
            "结束日期早于开始日期 / The period ends before it starts", fields={"to": "before_from"}
        )
    return {"date_from": filters.date_from, "date_to": filters.date_to}


# --- check-ins -------------------------------------------------------------------------------------


@router.get(
    "/checkins/organisations",
    response={200: list[OrganisationOut], **LIST_ERRORS},
    summary="报到组织 / Checked-in organisations",
)
@paginate(PagePagination)
def list_organisations(request: HttpRequest, filters: Query[Filters]):
    """Scoped like the pages; `from`/`to` filter the check-in date."""
    require_checkin_staff(request.user)
    period = _period(filters)
    qs = _hosted(
        selectors.organisations_for(
            request.user,
            community=filters.community or "",
            street=filters.street or "",
            unit=filters.unit or "",
        ),
        filters,
    )
    if period["date_from"]:
        qs = qs.filter(checked_in_on__gte=period["date_from"])
    if period["date_to"]:
        qs = qs.filter(checked_in_on__lte=period["date_to"])
    return _Mapped(qs, _org)


@router.post(
    "/checkins/organisations",
    response={201: OrganisationOut, 200: OrganisationOut, **CREATE_ERRORS},
    summary="组织报到 / Check an organisation in",
    description="200 with the first object when the `Idempotency-Key` was already used by the same caller.",
)
def create_organisation(
    request: HttpRequest, payload: OrganisationIn, idempotency_key: str | None = key_header()
):
    org, replayed = _organisation_once(request.user, payload, idempotency_key)
    return Status(200 if replayed else 201, _org(org))


def _organisation_once(actor, payload, key: str | None) -> tuple[OrganisationCheckin, bool]:
    # One scope per kind, shared by /checkins and the kind's own endpoint: a key names one object of one kind.
    return create_once(
        actor,
        "checkins",
        key,
        lambda: _check_in_organisation(actor, payload),
        lambda pk: OrganisationCheckin.objects.get(pk=pk),
    )


def _check_in_organisation(actor, payload) -> OrganisationCheckin:
    return actions.do_check_in_organisation(
        actor=actor,
        community_code=payload.community,
        unit_code=payload.unit,
        name=payload.name,
        skills=payload.skills,
        resources=payload.resources,
        contact=payload.contact,
        checked_in_on=payload.checked_in_on,
    )


MemberKindFilter = Literal[
    "party_member", "courier", "delivery_rider", "ride_hailing_driver", "new_employment"
]
assert set(MemberKindFilter.__args__) == {*MemberKind.values, "new_employment"}  # noqa: S101 - every kind


class MemberFilters(Filters):
    organisation: int | None = Field(None, description="报到组织编号 / organisation id")
    kind: MemberKindFilter | None = Field(
        None, description="成员类别，或 new_employment 表示新就业群体 / a member kind, or new_employment"
    )


@router.get(
    "/checkins/members",
    response={200: list[CheckinMemberOut], **LIST_ERRORS},
    summary="报到成员 / Checked-in members",
)
@paginate(PagePagination)
def list_members(request: HttpRequest, filters: Query[MemberFilters]):
    """Scoped like the pages (a member sees their own); names and phones masked as on the pages; `from`/`to`
    filter the check-in date."""
    require_checkin_user(request.user)
    qs = _hosted(
        selectors.members_for(
            request.user,
            community=filters.community or "",
            street=filters.street or "",
            unit=filters.unit or "",
            organisation=str(filters.organisation or ""),
            kind=filters.kind or "",
            **_period(filters),
        ),
        filters,
    )
    user = request.user
    return _Mapped(qs, lambda m: _member(user, m))


@router.post(
    "/checkins/members",
    response={201: CheckinMemberOut, 200: CheckinMemberOut, **CREATE_ERRORS},
    summary="成员报到 / Check a member in",
    description="400 `community: already_checked_in` when the same phone or account is checked in to that "
    "community already; nothing is written. 200 with the first object when the `Idempotency-Key` was already used by the same caller.",
)
def create_member(request: HttpRequest, payload: CheckinMemberIn, idempotency_key: str | None = key_header()):
    member, replayed = _member_once(request.user, payload, idempotency_key)
    return Status(200 if replayed else 201, _member(request.user, member))


def _member_once(actor, payload, key: str | None) -> tuple[MemberCheckin, bool]:
    return create_once(
        actor,
        "checkins-members",
        key,
        lambda: _check_in_member(actor, payload),
        lambda pk: MemberCheckin.objects.get(pk=pk),
    )


def _check_in_member(actor, payload) -> MemberCheckin:
    return actions.do_check_in_member(
        actor=actor,
        community_code=payload.community,
        name=payload.name,
        phone=payload.phone,
        kind=payload.kind,
        organisation_id=payload.organisation,
        employer=payload.employer,
        skills=payload.skills,
        resources=payload.resources,
        username=payload.username,
        checked_in_on=payload.checked_in_on,
    )


# --- both kinds: /checkins -------------------------------------------------------------------------


class CheckinType(StrEnum):
    """Stable codes of `type`."""

    ORGANISATION = "organisation"
    MEMBER = "member"


class CheckinIn(Schema):
    type: CheckinType = Field(..., description="organisation（组织报到）| member（成员报到）")
    community: str = Field(..., description="社区代码 / community code (12 digits)")
    name: str = Field("", max_length=100, description="组织或成员名称 / the organisation's or member's name")
    unit: str | None = Field(
        None, description="organisation：单位代码 / the unit, when the organisation is one"
    )
    contact: str = Field("", max_length=60, description="organisation：联系人 / contact person")
    phone: str = Field("", max_length=20, description="member：手机号（必填）/ phone (required)")
    kind: MemberKind = Field(MemberKind.PARTY_MEMBER, description="member：成员类别 / kind of member")
    organisation: int | None = Field(None, description="member：报到组织编号 / checked-in organisation id")
    employer: str = Field("", max_length=100, description="member：工作单位 / employer")
    username: str | None = Field(None, description="member：账号 / an account, given the member role")
    skills: str = Field("", max_length=300)
    resources: str = Field("", max_length=300)
    checked_in_on: dt.date | None = None


class CheckinOut(Schema):
    type: CheckinType
    id: int
    name: str = Field(..., description="成员姓名无权查看时为掩码 / a member's name masked unless you manage")
    community: CheckinPlaceOut
    street: CheckinPlaceOut
    skills: str
    resources: str
    checked_in_on: dt.date
    is_active: bool
    unit: str | None = Field(None, description="organisation only")
    phone: str | None = Field(None, description="member only, masked")
    kind: MemberKind | None = Field(None, description="member only")
    organisation: int | None = Field(None, description="member only")
    employer: str | None = Field(None, description="member only")


class CheckinFilters(MemberFilters):
    type: CheckinType | None = Field(None, description="organisation | member（缺省两者）/ both by default")


class _Chained:
    """Organisations, then members, as one paginated list: each page is at most two sliced queries."""

    def __init__(self, *parts):
        self.parts = parts  # (queryset, fn) pairs
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [qs.count() for qs, _fn in self.parts]
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def all(self):
        return self

    def __getitem__(self, item: slice):
        start, stop = item.start or 0, item.stop
        out: list = []
        for (qs, fn), n in zip(self.parts, self.counts(), strict=True):
            if start < n and (stop is None or stop > 0):
                end = n if stop is None else min(stop, n)
                out += [fn(row) for row in qs[start:end]]
            start, stop = max(start - n, 0), None if stop is None else stop - n
            if stop is not None and stop <= 0:
                break
        return out


def _typed(kind: str, row: dict) -> dict:
    return {"type": kind, **row}


@router.get(
    "/checkins",
    response={200: list[CheckinOut], **LIST_ERRORS},
    summary="报到组织与成员 / Checked-in organisations and members",
)
@paginate(PagePagination)
def list_checkins(request: HttpRequest, filters: Query[CheckinFilters]):
    """Both kinds in one list (organisations first, then members), each with its `type`; `type=` keeps one
    kind. Scoped like the pages: staff see their territory's, a member their own check-ins only; `from`/`to`
    filter the check-in date; `organisation` and `kind` filter members."""
    require_checkin_user(request.user)
    period = _period(filters)
    user = request.user
    parts = []
    staff = reach(user).is_staff
    if (
        filters.type in (None, CheckinType.ORGANISATION)
        and staff
        and not (filters.organisation or filters.kind)
    ):
        orgs = _hosted(
            selectors.organisations_for(
                user, community=filters.community or "", street=filters.street or "", unit=filters.unit or ""
            ),
            filters,
        )
        if period["date_from"]:
            orgs = orgs.filter(checked_in_on__gte=period["date_from"])
        if period["date_to"]:
            orgs = orgs.filter(checked_in_on__lte=period["date_to"])
        parts.append((orgs, lambda o: _typed("organisation", _org(o))))
    if filters.type in (None, CheckinType.MEMBER):
        members = _hosted(
            selectors.members_for(
                user,
                community=filters.community or "",
                street=filters.street or "",
                unit=filters.unit or "",
                organisation=str(filters.organisation or ""),
                kind=filters.kind or "",
                **period,
            ),
            filters,
        )
        parts.append((members, lambda m: _typed("member", _member(user, m))))
    return _Chained(*parts)


@router.post(
    "/checkins",
    response={201: CheckinOut, 200: CheckinOut, **CREATE_ERRORS},
    summary="报到（组织或成员）/ Check an organisation or a member in",
    description="`type` says which: `organisation` (name or unit) or `member` (name and phone required). "
    "400 naming the field, nothing written: a missing name or phone, an unknown unit or organisation, "
    "`community: already_checked_in` for the same phone or account in that community. 200 with the first object when the `Idempotency-Key` was already used by the same caller.",
)
def create_checkin(request: HttpRequest, payload: CheckinIn, idempotency_key: str | None = key_header()):
    if payload.type == CheckinType.ORGANISATION:
        org, replayed = _organisation_once(request.user, payload, idempotency_key)
        return Status(200 if replayed else 201, _typed("organisation", _org(org)))
    member, replayed = _member_once(request.user, payload, idempotency_key)
    return Status(200 if replayed else 201, _typed("member", _member(request.user, member)))


# --- service records -------------------------------------------------------------------------------


class RecordFilters(Filters):
    member: int | None = None
    organisation: int | None = None
    state: RecordState | None = None


@router.get(
    "/service-records",
    response={200: list[RecordOut], **LIST_ERRORS},
    summary="服务记录 / Service records",
)
@paginate(PagePagination)
def list_records(request: HttpRequest, filters: Query[RecordFilters]):
    """`from`/`to` filter the day served. Person-times count the `confirmed` records only."""
    require_checkin_user(request.user)
    qs = _hosted(
        selectors.records_for(
            request.user,
            community=filters.community or "",
            street=filters.street or "",
            unit=filters.unit or "",
            member=str(filters.member or ""),
            organisation=str(filters.organisation or ""),
            state=filters.state or "",
            **_period(filters),
        ),
        filters,
    )
    return _Mapped(qs, _record)


@router.post(
    "/service-records",
    response={201: RecordOut, 200: RecordOut, **CREATE_ERRORS},
    summary="记录服务 / Record a service",
    description="With the need's `confirmation_code` (given to the resident) the record is confirmed at once; "
    "without it, it awaits the community's confirmation. A phone that retries on a bad line sends the same "
    "`Idempotency-Key`: the service is counted once. 200 with the first object when the `Idempotency-Key` was already used by the same caller.",
)
def create_record(request: HttpRequest, payload: RecordIn, idempotency_key: str | None = key_header()):
    record, replayed = create_once(
        request.user,
        "service-records",
        idempotency_key,
        lambda: actions.do_record_service(
            actor=request.user,
            what=payload.what,
            hours=payload.hours,
            served_on=payload.served_on,
            member_id=payload.member,
            need_id=payload.need,
            confirmation_code=payload.confirmation_code,
            note=payload.note,
        ),
        lambda pk: ServiceRecord.objects.get(pk=pk),
    )
    return Status(200 if replayed else 201, _record(record))


@router.post(
    "/service-records/{record_id}/confirm",
    response={200: RecordOut, **error_responses(400, 401, 403, 404, 409)},
    summary="确认服务 / Confirm (or reject) a service",
)
def confirm_record(request: HttpRequest, record_id: int, payload: ConfirmIn):
    access_record(request.user, record_id)
    record = actions.do_confirm_service(
        actor=request.user, record_id=record_id, confirmed=payload.confirmed, note=payload.note
    )
    return _record(record)
