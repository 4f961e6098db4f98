"""Schemas of the delegated-powers endpoints (issue 12, part 1)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

Category = Literal["penalty", "inspection", "enforcement_measure", "licensing", "other"]
NoteKindCode = Literal["proposal", "urge"]
RecommendationKindCode = Literal["appointment", "removal", "transfer"]


class PowerIn(Schema):
    code: str = Field(..., max_length=40, description="权力编码，区内唯一 / code, unique in the district")
    name: str = Field(..., max_length=200)
    category: Category = Field(..., description="权力类别 / category (stable code)")
    legal_basis: str = Field(
        ..., description="法律依据（必填）/ legal basis (required: missing or empty → 400)"
    )
    department: str = Field(..., description="下放部门的单位代码 / the department's unit code")
    streets: list[str] = Field(
        ..., description='承接街乡代码（9 或 12 位），或 "all" / street codes (9 or 12 digits), or "all"'
    )
    effective_date: dt.date
    matters: list[str] = Field([], description="对应的权责清单事项编码 / codes of the matters it covers")
    district: str | None = Field(
        None, description="区县代码（仅超级管理员）/ district code (superusers only)"
    )
    note: str = ""


class WithdrawIn(Schema):
    reason: str = Field(..., min_length=1, description="撤回理由 / reason for withdrawal")


class PowerVersionOut(Schema):
    version: int
    change: str
    at: dt.datetime
    note: str
    snapshot: dict


class PowerOut(Schema):
    id: int
    code: str
    name: str
    category: str
    legal_basis: str
    department: str
    district: str
    streets: list[str]
    matters: list[str]
    effective_date: dt.date
    status: Literal["in_force", "withdrawn"]
    in_force: bool = Field(..., description="今天是否生效 / acting today (in force and effective)")
    withdrawn_on: dt.date | None
    withdrawal_reason: str
    version: int
    versions: list[PowerVersionOut] | None = None


class StreetNoteIn(Schema):
    summons: int = Field(..., description="报到单编号 / summons id")
    kind: NoteKindCode = Field(..., description="proposal 处置建议 / urge 统筹督促（街乡领导）")
    text: str = Field(..., min_length=1)


class AnswerIn(Schema):
    answer: str = Field(..., min_length=1)


class NoteOut(Schema):
    id: int
    kind: NoteKindCode
    summons: int
    whistle: int
    street: str
    unit: str
    text: str
    created_at: dt.datetime
    state: Literal["open", "answered"]
    answer: str
    answered_at: dt.datetime | None


class RecommendationIn(Schema):
    staff: int = Field(..., description="派驻人员编号 / stationed staff member id")
    kind: RecommendationKindCode
    reason: str = Field(..., min_length=1)


class RecommendationAnswerIn(Schema):
    accepted: bool
    answer: str = Field(..., min_length=1)


class StaffOut(Schema):
    id: int
    name: str
    position: str
    street: str
    department: str
    since: dt.date
    is_active: bool


class RecommendationOut(Schema):
    id: int
    staff: StaffOut
    kind: RecommendationKindCode
    reason: str
    street: str
    department: str
    filed_at: dt.datetime
    state: Literal["filed", "accepted", "declined"]
    answer: str
    answered_at: dt.datetime | None
