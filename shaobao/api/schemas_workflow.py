"""Input and output schemas of the workflow endpoints (demands, whistles, summonses, extensions).

Inputs use the models' own choice sets, so the OpenAPI schema lists the allowed values and a wrong
value is a 400 naming the field before any action runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from shaobao.api.schemas import DivisionRef, EventOut, MatterRef, UnitRef
from shaobao.core.choices import Urgency
from shaobao.intake.models import Channel, DemandKind, Satisfaction
from shaobao.whistles.actions import MAX_EXTENSION_DAYS
from shaobao.whistles.models import WhistleType

# --- demands ------------------------------------------------------------------------------------


class DemandIn(Schema):
    channel: Channel
    kind: DemandKind = DemandKind.COMPLAINT
    subject: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=10000)
    reporter_name: str = Field("", max_length=60)
    reporter_phone: str = Field("", max_length=30)
    address: str = Field("", max_length=300)
    # strict: a number (an integer is one); not `true` or `"12.5"`, which lax parsing would turn into 1.0/12.5.
    lat: float | None = Field(None, ge=-90, le=90, strict=True)
    lng: float | None = Field(None, ge=-180, le=180, strict=True)
    urgency: Urgency = Urgency.NORMAL
    street: str | None = Field(
        None, description="街乡区划代码（可选）/ street code, when the channel knows it"
    )
    matter: str | None = Field(
        None, description="事项代码（可选）/ matter code, when the channel classified it"
    )


class ReporterOut(Schema):
    name: str
    phone: str
    masked: bool
    may_reveal: bool = Field(False, description="可用 ?reveal=true 查看 / the caller may unmask (logged)")


class DemandSummaryOut(Schema):
    id: int
    tracking_code: str
    channel: str
    kind: str
    subject: str
    urgency: str
    state: str
    state_label: str
    street: DivisionRef | None
    matter: MatterRef | None
    assigned_unit: UnitRef | None
    received_at: datetime
    due_at: datetime | None

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())


class PlaceCandidateOut(Schema):
    street_code: str
    street_name: str
    community_code: str = ""
    community_name: str = ""
    words: list[str] = Field([], description="匹配的地名用词 / the words that named it")
    score: float = 0


class DemandOut(DemandSummaryOut):
    body: str
    reporter: ReporterOut
    address: str
    lat: float | None
    lng: float | None
    community: DivisionRef | None
    grid: str | None
    placement_source: str = Field(
        description="coordinates / street_code / address / text / manual（调度员） / '' (not placed)"
    )
    placement_confidence: float | None = Field(
        None, description="定位把握 0–1 / how sure the placement is (1: coordinates, channel, a person)"
    )
    placement_candidates: list[PlaceCandidateOut] = Field(
        [],
        description="文字指向多处时的候选位置，待区协调员选定 / candidates when the words name several places",
    )
    merged_into: int | None
    rework_count: int
    handled_at: datetime | None
    closed_at: datetime | None
    called_back_at: datetime | None
    solved: bool | None
    satisfaction: str
    whistles: list[int]
    photos: list[str] = Field([], description="照片地址 / photo URLs")
    events: list[EventOut]

    @staticmethod
    def resolve_photos(obj) -> list[str]:
        return [p.image.url for p in obj.photos.all()]

    @staticmethod
    def resolve_grid(obj) -> str | None:
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_merged_into(obj) -> int | None:
        return obj.merged_into_id

    @staticmethod
    def resolve_whistles(obj) -> list[int]:
        # Only the ids: one query on the link table instead of loading whistles.
        link = obj.whistles.through.objects.filter(demand_id=obj.pk)
        return list(link.order_by("whistle_id").values_list("whistle_id", flat=True))


class TriageIn(Schema):
    action: Literal["self_handle", "transfer", "merge"]
    unit: str | None = Field(
        None, description="self_handle: 本街道的科室/社区/执法队代码 / the street's own unit"
    )
    street: str | None = Field(None, description="transfer: 目标街乡代码 / the street to hand it to")
    into: int | None = Field(None, description="merge: 并入的诉求 id / the demand to merge into")
    note: str = Field("", max_length=2000)


class PlacementIn(Schema):
    street: str | None = None
    community: str | None = None
    grid: str | None = None


class NoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=5000)


class OptionalNoteIn(Schema):
    note: str = Field("", max_length=5000)


class VerifyIn(Schema):
    passed: bool
    note: str = Field("", max_length=5000)


class CallbackIn(Schema):
    solved: bool
    satisfaction: Satisfaction
    note: str = Field("", max_length=5000)


# --- whistles and summonses ---------------------------------------------------------------------


class WhistleIn(Schema):
    demands: list[int] = Field(
        ..., min_length=1, description="诉求 id 列表 / the demands this whistle covers"
    )
    type: WhistleType
    matter: str = Field(..., description="事项代码 / matter code in the duty list in force")
    lead_unit: str | None = Field(
        None, description="主责单位代码，缺省取清单 / lead unit; default from the list"
    )
    supporting_units: list[str] | None = Field(None, description="配合单位代码 / supporting units")
    note: str = Field("", max_length=5000)


class ProgressNoteOut(Schema):
    note: str
    at: datetime
    author: str
    photo: str | None = Field(None, description="照片地址 / photo URL")

    @staticmethod
    def resolve_author(obj) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_photo(obj) -> str | None:
        return obj.photo.url if obj.photo else None


class ExtensionOut(Schema):
    id: int
    summons: int
    days: int
    reason: str
    state: str
    requested_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_summons(obj) -> int:
        return obj.summons_id


class SummonsOut(Schema):
    id: int
    whistle: int
    whistle_state: str
    unit: UnitRef
    role: str
    state: str
    state_label: str
    summoned_at: datetime
    report_in_due: datetime
    finish_due: datetime
    reported_in_at: datetime | None
    finished_at: datetime | None
    dispute_reason: str
    extension_days: int
    progress_notes: list[ProgressNoteOut]
    extension_requests: list[ExtensionOut]
    events: list[EventOut] = []

    @staticmethod
    def resolve_whistle(obj) -> int:
        return obj.whistle_id

    @staticmethod
    def resolve_whistle_state(obj) -> str:
        return obj.whistle.state

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_progress_notes(obj) -> list:
        return list(obj.progress_notes.all())

    @staticmethod
    def resolve_extension_requests(obj) -> list:
        return list(obj.extension_requests.all())


class DemandRef(Schema):
    id: int
    tracking_code: str
    subject: str
    state: str


class WhistleSummaryOut(Schema):
    id: int
    type: str
    state: str
    state_label: str
    street: DivisionRef
    matter: MatterRef
    blown_at: datetime
    fed_back_at: datetime | None
    closed_at: datetime | None
    rework_count: int

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())


class WhistleOut(WhistleSummaryOut):
    note: str
    blown_by: str
    demands: list[DemandRef]
    summonses: list[SummonsOut]
    events: list[EventOut]

    @staticmethod
    def resolve_summonses(obj) -> list:
        summonses = getattr(obj, "summons_list", None)
        return summonses if summonses is not None else list(obj.summonses.all())

    @staticmethod
    def resolve_blown_by(obj) -> str:
        return str(obj.blown_by)

    @staticmethod
    def resolve_demands(obj) -> list:
        return list(obj.demands.all())


class DisputeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class ArbitrateIn(Schema):
    decision: Literal["uphold", "reject"]
    reassign_to: str | None = Field(None, description="uphold: 改派单位代码 / unit to summon instead")
    note: str = Field("", max_length=5000)


class ArbitrationOut(Schema):
    summons: SummonsOut = Field(..., description="裁定后的原报到单 / the disputed summons after the decision")
    reassigned: SummonsOut | None = Field(None, description="改派的报到单 / the unit summoned instead")


class ExtensionIn(Schema):
    days: int = Field(..., ge=1, le=MAX_EXTENSION_DAYS, description="延期工作日 / extra working days")
    reason: str = Field(..., min_length=1, max_length=5000)


class DecideExtensionIn(Schema):
    grant: bool
    note: str = Field("", max_length=5000)


# --- inbox and public tracking ------------------------------------------------------------------


class InboxItemOut(Schema):
    type: Literal["demand", "whistle", "summons", "extension", "other"]
    id: int
    title: str
    state: str
    due: datetime | None = None


class InboxSectionOut(Schema):
    key: str
    title: str
    count: int
    items: list[InboxItemOut]


class TodoTileOut(Schema):
    key: str = Field(description="the inbox section (`/inbox` key)")
    title: str
    count: int
    due: datetime | None = Field(None, description="deadline of the most urgent item")
    hours_left: float | None = Field(
        None,
        description="hours from now to `due` (negative: late): working hours (hours of working days) "
        "or, where the limit runs on the clock (report-in), clock hours; see `working_hours`",
    )
    working_hours: bool = Field(True, description="`hours_left` counts working hours (false: the clock)")
    overdue: int | None = Field(None, description="items past their deadline (null: the section has none)")
    due_today: int | None = Field(None, description="items due before local midnight, not yet late")
    url: str | None = Field(None, description="the web inbox filtered to this section (staff only)")
    overdue_url: str | None = None
    due_today_url: str | None = None


class TodoOut(Schema):
    overdue: int
    due_today: int
    tiles: list[TodoTileOut]


class TrackStepOut(Schema):
    at: datetime
    step: str
    label: str
    state: str
    reply: str = ""


class TrackOut(Schema):
    """What a resident may see with a tracking code: no names, no phone numbers."""

    tracking_code: str
    subject: str
    state: str
    state_label: str
    street: str | None
    received_at: datetime
    closed_at: datetime | None
    merged_into: str | None = Field(None, description="并入的诉求的查询码 / tracking code it was merged into")
    steps: list[TrackStepOut]
