"""Key tasks (重点任务清单) and monthly topics (每月一题): lists, create, progress, candidates, choose.

Views only parse → access → do → serialize; the rules live in `shaobao.keytasks.actions`.
"""

import datetime as dt
from enum import StrEnum

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.core.errors import ValidationFailed
from shaobao.keytasks import access, actions, selectors, topics
from shaobao.org.access import require_staff
from shaobao.org.scoping import district_of

router = Router(tags=["key tasks 重点任务 / 每月一题"])
ERRORS = error_responses(400, 401, 403, 404, 409)


class KeyTaskStateFilter(StrEnum):
    OPEN = "open"
    DONE = "done"
    OVERDUE = "overdue"


class MilestoneIn(Schema):
    title: str = Field(..., max_length=200)
    due: dt.date | None = None


class KeyTaskIn(Schema):
    title: str = Field(..., max_length=300)
    lead_unit: str = Field(..., description="牵头单位代码 / lead unit code")
    participating_units: list[str] = Field(default_factory=list, description="参与单位代码 / unit codes")
    deadline: dt.date | None = Field(None, description="期限（不早于今天）/ deadline, today or later")
    working_days: int | None = Field(None, description="或：若干个工作日后 / or: this many working days")
    area: int | None = None
    number: str = Field("", max_length=20)
    description: str = Field("", max_length=5000, description="举措 / measures")
    milestones: list[MilestoneIn] = Field(default_factory=list)


class MilestoneOut(Schema):
    id: int
    title: str
    due: dt.date | None
    done_at: dt.datetime | None


class OrderOut(Schema):
    kind: str = Field(..., description="warning 预警 | supervision 督办 | escalation 提级")
    issued_at: dt.datetime
    resolved_at: dt.datetime | None
    escalated_at: dt.datetime | None


class KeyTaskOut(Schema):
    id: int
    number: str
    title: str
    area: str | None
    lead_unit: str
    participating_units: list[str]
    deadline: dt.datetime
    state: str
    progress: int
    overdue: bool
    done_at: dt.datetime | None
    milestones: list[MilestoneOut]
    supervision: list[OrderOut] = Field(..., description="预警、督办、提级 / warnings, orders, escalations")

    @staticmethod
    def resolve_supervision(obj) -> list:
        return list(obj.orders.all())

    @staticmethod
    def resolve_area(obj) -> str | None:
        return obj.area.name if obj.area_id else None

    @staticmethod
    def resolve_lead_unit(obj) -> str:
        return obj.lead_unit.code

    @staticmethod
    def resolve_participating_units(obj) -> list[str]:
        return [u.code for u in obj.participating_units.all()]

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue()

    @staticmethod
    def resolve_milestones(obj) -> list:
        return list(obj.milestones.all())


class ProgressIn(Schema):
    note: str = Field(..., max_length=5000)
    percent: int | None = Field(None, ge=0, le=100, description="牵头单位 / lead unit only")
    milestone: int | None = Field(None, description="完成的节点 id / milestone reached (lead unit only)")


class ProgressOut(Schema):
    id: int
    unit: str
    note: str
    percent: int | None
    milestone: int | None = Field(None, alias="milestone_id")
    at: dt.datetime

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.code


class KeyTaskFilters(Schema):
    q: str | None = None
    area: int | None = None
    unit: str | None = Field(None, description="牵头或参与单位代码 / lead or participating unit")
    state: KeyTaskStateFilter | None = None
    mine: bool = False


@router.get(
    "/key-tasks",
    response={200: list[KeyTaskOut], **error_responses(400, 401, 403)},
    summary="重点任务 / Key tasks",
)
@paginate(PagePagination)
def list_key_tasks(request: HttpRequest, filters: Query[KeyTaskFilters]):
    require_staff(request.user)
    f = filters.dict()
    f["state"] = f["state"].value if f["state"] else ""
    qs = selectors.key_tasks_for(request.user).prefetch_related("milestones", "orders")
    return selectors.filter_key_tasks(qs, user=request.user, **{k: v or "" for k, v in f.items()}).order_by(
        "area__number", "number", "id"
    )


@router.post(
    "/key-tasks",
    response={201: KeyTaskOut, 200: KeyTaskOut, **ERRORS},
    summary="新建重点任务 / Create a key task",
)
def create_key_task(request: HttpRequest, payload: KeyTaskIn, idempotency_key: str | None = key_header()):
    """200 with the first key task when the `Idempotency-Key` was already used by the same caller."""
    data = payload.dict()
    data["milestones"] = [(m["title"], m["due"]) for m in data["milestones"]]
    task, replayed = create_once(
        request.user,
        "key-tasks",
        idempotency_key,
        lambda: actions.do_create_key_task(actor=request.user, **data),
        lambda pk: access.access_key_task(request.user, pk),
    )
    return Status(200 if replayed else 201, task)


@router.get("/key-tasks/{key_task_id}", response={200: KeyTaskOut, **ERRORS}, summary="重点任务 / A key task")
def get_key_task(request: HttpRequest, key_task_id: int):
    return access.access_key_task(request.user, key_task_id)


@router.get(
    "/key-tasks/{key_task_id}/progress",
    response={200: list[ProgressOut], **error_responses(400, 401, 403, 404)},
    summary="进展记录 / Progress reports",
)
@paginate(PagePagination)
def list_progress(request: HttpRequest, key_task_id: int):
    """The units' reports on the task, newest first."""
    task = access.access_key_task(request.user, key_task_id)
    return task.reports.select_related("unit").order_by("-at", "-id")


@router.post(
    "/key-tasks/{key_task_id}/progress",
    response={201: ProgressOut, **ERRORS},
    summary="报告进展 / Report progress",
)
def report_progress(request: HttpRequest, key_task_id: int, payload: ProgressIn):
    report = actions.do_report_progress(actor=request.user, key_task_id=key_task_id, **payload.dict())
    return Status(201, report)


# --- topics --------------------------------------------------------------------------------------------


class CandidateOut(Schema):
    level: str
    matter: str
    matter_code: str
    place: str
    street_code: str
    community_code: str
    grid_code: str
    count: int
    previous: list[int] = Field(..., description="前三个月，由远及近 / the 3 months before, oldest first")
    previous_average: float
    rise: float
    repeat_callers: int
    repeat_calls: int
    repeat_places: int
    topic: int | None = Field(None, description="已选为本月题目的 id / the topic chosen for it, if any")


class CandidatesOut(Schema):
    month: str
    demands: int
    frequent: list[CandidateOut]
    rising: list[CandidateOut]


class TopicIn(Schema):
    month: str = Field(..., description="YYYY-MM")
    matter: str = Field(..., description="事项代码 / matter code")
    street: str = Field(..., description="街乡代码 / street code")
    community: str | None = None
    grid: str | None = None
    lead_unit: str
    participating_units: list[str] = Field(default_factory=list)
    measures: str = Field("", max_length=5000)
    deadline: dt.date | None = None
    working_days: int | None = None
    title: str = Field("", max_length=300)


class TopicOut(Schema):
    id: int
    month: str
    matter: str
    level: str
    street: str
    community: str | None
    grid: str | None
    figures: dict
    key_task: KeyTaskOut

    @staticmethod
    def resolve_matter(obj) -> str:
        return obj.matter.code

    @staticmethod
    def resolve_street(obj) -> str:
        return obj.street.code

    @staticmethod
    def resolve_community(obj) -> str | None:
        return obj.community.code if obj.community_id else None

    @staticmethod
    def resolve_grid(obj) -> str | None:
        return obj.grid.code if obj.grid_id else None


@router.get(
    "/topics/candidates",
    response={200: CandidatesOut, **error_responses(400, 401, 403)},
    summary="每月一题候选 / A month's topic candidates",
)
def topic_candidates(request: HttpRequest, month: str | None = None):
    access.require_district(request.user)
    month = month or topics.last_month(timezone.now())
    try:
        topics.month_bounds(month)
    except ValueError:
        raise ValidationFailed("月份格式应为 YYYY-MM / month: YYYY-MM", fields={"month": "invalid"}) from None
    result = topics.compute(district_of(request.user), month)
    chosen = list(selectors.topics_for(request.user).filter(month=month))
    selectors.mark_chosen(result.frequent + result.rising, chosen)

    def out(c) -> dict:
        return {**c.as_dict(), "topic": c.topic.pk if c.topic else None}

    return {
        "month": result.month,
        "demands": result.demands,
        "frequent": [out(c) for c in result.frequent],
        "rising": [out(c) for c in result.rising],
    }


@router.get(
    "/topics",
    response={200: list[TopicOut], **error_responses(400, 401, 403)},
    summary="已选题目 / Chosen topics",
)
@paginate(PagePagination)
def list_topics(request: HttpRequest, month: str | None = None):
    require_staff(request.user)
    qs = selectors.topics_for(request.user)
    return qs.filter(month=month) if month else qs


@router.post("/topics", response={201: TopicOut, **ERRORS}, summary="选题 / Choose a topic")
def choose_topic(request: HttpRequest, payload: TopicIn):
    topic = actions.do_choose_topic(actor=request.user, **payload.dict())
    return Status(201, topic)
