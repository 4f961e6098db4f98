"""Schemas of the task admission endpoints (村（社区）事务准入): admission requests and the community catalogue.

Kinds, states and decisions use the models' choice sets, so the OpenAPI schema lists the stable codes and an
unknown one is a 400 naming the field before any action runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from shaobao.admission.models import EntryKind, RequestKind, RequestState
from shaobao.api.schemas import DivisionRef, UnitRef


class AdmissionRequestIn(Schema):
    unit: str = Field(
        ..., min_length=1, max_length=40, description="申请部门代码 / the filing department's code"
    )
    kind: RequestKind = Field(..., description="task · ledger · certificate · meeting · signboard")
    name: str = Field(
        ..., min_length=1, max_length=200, description="事项名称 / what is to be put on communities"
    )
    basis: str = Field(
        ..., min_length=1, max_length=1000, description="法律或政策依据 / legal or policy basis"
    )
    reason: str = Field(..., min_length=1, max_length=2000, description="申请理由 / reason")
    communities: list[str] = Field(
        default_factory=list,
        max_length=2000,
        description="涉及社区的区划代码，空：全部 / community codes concerned; empty: every community",
    )
    valid_from: date = Field(..., description="起始日期 / first day (YYYY-MM-DD)")
    valid_until: date | None = Field(None, description="截止日期（可空）/ last day, none: no end")
    outside: bool = Field(False, description="对外标牌（仅限 signboard）/ a signboard on the outside")


class AdmissionDecideIn(Schema):
    decision: Literal["approve", "refuse"]
    note: str = Field("", max_length=2000, description="理由，不予准入时必填 / reason, required to refuse")


class AdmissionRequestOut(Schema):
    id: int
    district: DivisionRef
    unit: UnitRef
    kind: RequestKind
    kind_label: str
    name: str
    outside: bool
    basis: str
    reason: str
    all_communities: bool
    communities: list[DivisionRef]
    valid_from: date
    valid_until: date | None
    state: RequestState
    state_label: str
    filed_at: datetime
    decided_at: datetime | None
    decision_note: str
    entry_code: str | None = Field(None, description="批准后的目录编号 / the catalogue code once approved")

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_communities(obj) -> list:
        return list(obj.communities.all())

    @staticmethod
    def resolve_entry_code(obj) -> str | None:
        entry = getattr(obj, "entry", None) if obj.state == RequestState.APPROVED else None
        return entry.code if entry is not None else None


class CatalogueEntryOut(Schema):
    id: int
    code: str
    name: str
    kind: EntryKind
    kind_label: str
    outside: bool
    basis: str
    unit: UnitRef | None
    communities: list[DivisionRef] = Field(..., description="空：全部社区 / empty: every community")
    valid_from: date
    valid_until: date | None
    origin: str
    request_id: int | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_communities(obj) -> list:
        return list(obj.communities.all())
