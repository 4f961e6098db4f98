"""Schemas of the village work teams (驻村工作队) API. Kinds, forces, posts and measure states are stable
codes, listed as enums in the OpenAPI schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

VillageKindCode = Literal[
    "weak_and_lax",
    "governance_difficulty",
    "election_difficulty",
    "lagging_development",
    "low_income_concentration",
]
ForceCode = Literal["leadership", "resident", "specialist"]
PostCode = Literal["team_leader", "first_secretary", "selected_graduate", "village_official", "specialist"]
MeasureStateCode = Literal["planned", "in_progress", "done", "dropped"]


class TeamPlaceRef(Schema):
    code: str
    name: str


class TeamMemberIn(Schema):
    cadre: int = Field(..., description="干部 id（forces）/ the cadre's id")
    force: ForceCode = Field(..., description="领导力量 / 驻村力量 / 专业力量")
    post: PostCode = Field(..., description="队长、第一书记、选调生、村官、专业人员 / the member's post")


class WorkTeamIn(Schema):
    village: str = Field(..., max_length=12, description="村（社区）代码 / village code")
    kind: VillageKindCode = Field(
        ..., description="软弱涣散、治理难点、换届难点、发展落后、低收入户集中 / the village's kind"
    )
    members: list[TeamMemberIn] = Field(
        ..., description="4–5 名队员，须含三类力量 / 4 to 5 members of all three forces"
    )
    name: str = Field(
        "", max_length=100, description="默认为「村名驻村工作队」/ defaults to the village's name"
    )
    starts_on: date | None = Field(None, description="派驻日期，默认今天 / defaults to today")


class TeamMemberOut(Schema):
    id: int
    cadre: int
    name: str
    force: str
    post: str
    joined_on: date
    left_on: date | None


class MeasureOut(Schema):
    id: int
    title: str
    detail: str
    owner: int = Field(..., description="责任队员 id / the owning member's id")
    working_days: int
    due_on: date
    state: str
    overdue: bool


class ReviewOut(Schema):
    id: int
    reviewed_at: datetime
    progress: str
    problems: str
    next_measures: str
    reviewer: str | None


class VisitOut(Schema):
    id: int
    member: int
    household: str
    address: str
    visited_on: date
    notes: str


class WorkTeamOut(Schema):
    id: int
    name: str
    village: TeamPlaceRef
    street: TeamPlaceRef
    kind: str
    starts_on: date
    ends_on: date | None
    is_active: bool
    last_reviewed_at: datetime | None
    review_overdue: bool
    members: list[TeamMemberOut]


class WorkTeamDetailOut(WorkTeamOut):
    measures: list[MeasureOut]
    reviews: list[ReviewOut]
    visits: list[VisitOut] | None = Field(
        None, description="入户走访（仅街乡、区级和本队可见，否则为 null）/ null for who may not see them"
    )


class MeasureIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    owner: int = Field(..., description="责任队员 id / the owning member's id (a member of this team)")
    working_days: int = Field(..., ge=1, le=250, description="完成时限（工作日）/ deadline in working days")
    detail: str = Field("", max_length=5000)


class MeasureStateIn(Schema):
    state: MeasureStateCode


class ReviewIn(Schema):
    progress: str = Field(..., min_length=1, max_length=5000)
    problems: str = Field("", max_length=5000)
    next_measures: str = Field("", max_length=5000)


class VisitIn(Schema):
    household: str = Field(..., min_length=1, max_length=60)
    address: str = Field("", max_length=200)
    visited_on: date
    notes: str = Field("", max_length=5000)
