"""Schemas of the integration endpoints: webhook subscriptions and deliveries, 12345 work orders."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class SubscriptionIn(Schema):
    name: str = Field(..., max_length=100, description="名称 / a name for people")
    url: str = Field(..., max_length=500, description="接收地址 (http/https) / the receiver's URL")
    events: list[str] = Field(..., description="事件名 / event names (GET /webhooks/events)")
    district: str | None = Field(None, description="区代码（仅超级管理员可选）/ district code")
    channel: str = Field("", description="只要此渠道的诉求，如 hotline_12345 / only demands of this channel")
    is_active: bool = True


class SubscriptionPatch(Schema):
    name: str | None = None
    url: str | None = None
    events: list[str] | None = None
    channel: str | None = None
    is_active: bool | None = None
    rotate_secret: bool = Field(False, description="换发签名密钥 / issue a new signing secret")


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    district: str | None
    channel: str
    is_active: bool
    created_at: datetime


class SubscriptionSecretOut(SubscriptionOut):
    secret: str = Field(..., description="签名密钥，仅创建/换发时返回 / the signing secret, shown on create")


class AttemptOut(Schema):
    number: int
    at: datetime
    status_code: int | None
    error: str
    response_body: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    event_id: str
    event: str
    status: str = Field(..., description="pending | sending | delivered | failed")
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    replay_of: int | None
    attempt_log: list[AttemptOut]


class EventNamesOut(Schema):
    events: list[str]


class OrderIn(Schema):
    """One 12345 work order (as the platforms exchange them)."""

    order_no: str = Field(
        ..., description="工单编号（幂等键）/ the platform's order number (idempotency key)"
    )
    time: datetime | None = Field(None, description="来电时间 / when the citizen called")
    caller: str = Field("", description="来电人 / caller's name")
    phone: str = Field("", description="联系电话 / caller's phone")
    address: str = Field("", description="地址 / address")
    content: str = Field(..., description="诉求内容 / what the citizen asked")
    category: str = Field("", description="诉求分类（按映射表对应事项）/ the platform's category")
    deadline: datetime | None = Field(None, description="办理时限 / the platform's deadline")
    urgent: bool = Field(False, description="是否紧急 / urgent flag")


class OrderBatchIn(Schema):
    orders: list[OrderIn]


class OrderAnswerOut(Schema):
    row: int = Field(..., description="批内序号（从1起）/ position in the batch, from 1")
    order_no: str
    tracking_code: str = Field(..., description="我方受理编号 / our tracking code")
    tracking_url: str
    demand_id: int
    status: str = Field(..., description="created | existing（重复工单，返回原编号 / a repeated order)")
    matter: str | None
    category_mapped: bool


class OrderBatchOut(Schema):
    created: int
    existing: int
    results: list[OrderAnswerOut]


class RowErrorOut(Schema):
    row: int
    field: str
    column: str
    message: str
