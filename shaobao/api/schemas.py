"""Output schemas shared by several routers (organisation and duty-list references)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    """Every error: `{"error": {"code", "message", "fields"}}`."""

    error: ErrorDetail


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class DivisionRef(Schema):
    code: str
    name: str


class UnitRef(Schema):
    code: str
    name: str
    kind: str


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    division: DivisionRef
    parent: str | None
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class DomainOut(Schema):
    code: str
    name: str


class DutyListRef(Schema):
    name: str
    version: int
    district: str

    @staticmethod
    def resolve_district(obj) -> str:
        return obj.district.code


class MatterRef(Schema):
    code: str
    name: str


class MatterOut(Schema):
    code: str
    name: str
    domain: DomainOut
    description: str
    keywords: list[str]
    lead_unit: UnitRef
    supporting_units: list[UnitRef]
    time_limit: int
    time_limit_unit: str
    default_urgency: str
    street_may_handle: bool
    duty_list: DutyListRef

    @staticmethod
    def resolve_supporting_units(obj) -> list:
        return list(obj.supporting_units.all())


class MatterRuleOut(Schema):
    """A matter as it applies in one street, with that street's override ("一乡一策")."""

    street: DivisionRef
    lead_unit: UnitRef
    supporting_units: list[UnitRef]
    time_limit: int
    time_limit_unit: str
    street_may_handle: bool


class MatterDetailOut(MatterOut):
    rule: MatterRuleOut | None = None


def error_responses(*statuses: int) -> dict[int, type]:
    """Document the error statuses an operation may answer, all with `ErrorOut`."""
    return {status: ErrorOut for status in statuses}


class EventOut(Schema):
    """One step of the audit record (who did what, when, from which state to which)."""

    action: str
    at: datetime
    actor: str | None
    from_state: str
    to_state: str
    note: str

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class MeOut(Schema):
    """Who the token (or session) acts as, and in which organisations."""

    username: str
    name: str
    roles: list[str]
    district: DivisionRef | None
    streets: list[DivisionRef]
    units: list[UnitRef]
