"""Forces sent down (issue 11): deployments and the hosts' assessment rounds, list and create.

Same permissions as the pages (`shaobao.forces.access`): the district sees and sends every cadre of its
district; a unit its own; a street sees the cadres it hosts and assesses them. The rules are in
`shaobao.forces.actions`: an unknown mode, a period that ends before it starts, an assessment with fewer
than one third grassroots assessors → 400 naming the field, nothing written.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.core.errors import ValidationFailed
from shaobao.forces import access, actions, selectors
from shaobao.forces.models import AssessmentRound, AssessorKind, Deployment, DeploymentMode

router = Router(tags=["forces 干部下沉"])

Mode = Literal[
    "enforcement", "key_task", "village_household", "department_service", "village_post", "community_checkin"
]
AssessorKindCode = Literal[
    "village_party_secretary",
    "party_congress_deputy",
    "peoples_congress_deputy",
    "street_official",
    "unit_representative",
    "other",
]
assert set(Mode.__args__) == set(DeploymentMode.values)  # noqa: S101 - the schema lists every mode
assert set(AssessorKindCode.__args__) == set(AssessorKind.values)  # noqa: S101

MODE_HELP = (
    "下沉方式 / mode: enforcement 执法力量下沉, key_task 攻坚任务下沉, village_household 驻村包户下沉, "
    "department_service 部门服务下沉, village_post 到村任职下沉, community_checkin 社区报到下沉"
)
GRASSROOTS_HELP = (
    "村党组织书记、基层党代表、人大代表须占评议人三分之一以上 / at least one third of the assessors must be "
    "village_party_secretary, party_congress_deputy or peoples_congress_deputy"
)


class Ref(Schema):
    code: str
    name: str


class DeploymentOut(Schema):
    id: int
    cadre_id: int
    cadre: str
    unit: Ref | None = Field(
        None, description="派出单位；空为后备力量库 / sending unit; null: the reserve pool"
    )
    mode: Mode = Field(description=MODE_HELP)
    mode_label: str
    host: Ref
    host_level: Literal["street", "community"]
    host_enterprise: str
    post: str
    duties: str
    village_post_id: int | None
    starts_on: dt.date
    ends_on: dt.date | None


def deployment_out(d: Deployment) -> dict:
    return {
        "id": d.pk,
        "cadre_id": d.cadre_id,
        "cadre": d.cadre.name,
        "unit": {"code": d.unit.code, "name": d.unit.name} if d.unit_id else None,
        "mode": d.mode,
        "mode_label": str(d.get_mode_display()),
        "host": {"code": d.host.code, "name": d.host.name},
        "host_level": d.host.level,
        "host_enterprise": d.host_enterprise,
        "post": d.post,
        "duties": d.duties,
        "village_post_id": d.village_post_id,
        "starts_on": d.starts_on,
        "ends_on": d.ends_on,
    }


class DeploymentFilters(Schema):
    host: str | None = Field(None, description="驻地区划代码（含下级）/ host division code (and below)")
    unit: str | None = Field(
        None, description="派出单位代码；reserve 为后备力量库 / unit code; `reserve`: the pool"
    )
    mode: Mode | None = Field(None, description=MODE_HELP)
    date_from: dt.date | None = Field(None, alias="from", description="期间首日 / period: first day")
    date_to: dt.date | None = Field(None, alias="to", description="期间末日 / period: last day")
    active: Literal["active", "ended"] | None = None


def _period(first, last, end_field: str = "to") -> None:
    if first and last and last < first:
        raise ValidationFailed(
            "结束日期早于开始日期 / The period ends before it starts", fields={end_field: "before_start"}
        )


@router.get(
    "/deployments",
    response={200: list[DeploymentOut], **error_responses(400, 401, 403)},
    summary="下沉干部列表 / List deployments",
    description="Deployments the caller may see, newest first, running on at least one day of `from`..`to`.",
)
@paginate(PagePagination)
def list_deployments(request: HttpRequest, filters: Query[DeploymentFilters]):
    access.require_forces_member(request.user)
    f = filters
    _period(f.date_from, f.date_to)
    qs = selectors.deployment_list(
        request.user,
        host=f.host,
        unit=f.unit,
        mode=f.mode,
        starts=f.date_from,
        ends=f.date_to,
        active=f.active,
    ).select_related("cadre", "host", "unit")
    return _Lazy(qs, deployment_out)


class _Lazy:
    """A queryset the pagination slices, turned into dicts only for the page it answers."""

    def __init__(self, qs, convert):
        self.qs, self.convert = qs, convert

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [self.convert(x) for x in self.qs[item]]


class DeploymentIn(Schema):
    cadre_id: int
    mode: Mode = Field(description=MODE_HELP)
    host: str = Field(
        description="驻地：街乡或村社区代码 / host: a street/township or village/community code"
    )
    starts_on: dt.date
    ends_on: dt.date | None = None
    post: str = Field("", max_length=100)
    duties: str = Field("", max_length=2000)
    host_enterprise: str = Field(
        "", max_length=100, description="企业名称（驻地为其所在街乡）/ an enterprise"
    )
    village_post_id: int | None = Field(None, description="到村任职的岗位 / the post (mode village_post)")


@router.post(
    "/deployments",
    response={201: DeploymentOut, 200: DeploymentOut, **error_responses(400, 401, 403)},
    summary="派出干部 / Deploy a cadre",
    description="400 naming the field for an unknown mode, a period ending before it starts (`ends_on`), a host "
    "outside the cadre's district, a cadre already deployed in the period (`cadre`), a filled or foreign village "
    "post (`village_post`). Nothing is written then. 200 with the first deployment when the `Idempotency-Key` "
    "was already used by the same caller.",
)
def create_deployment(
    request: HttpRequest,
    response: HttpResponse,
    payload: DeploymentIn,
    idempotency_key: str | None = key_header(),
):
    access.require_forces_member(request.user)
    d, replayed = create_once(
        request.user,
        "deployments",
        idempotency_key,
        lambda: _deploy(request.user, payload),
        lambda pk: Deployment.objects.get(pk=pk),
    )
    d = Deployment.objects.select_related("cadre", "host", "unit").get(pk=d.pk)
    response["Location"] = f"{request.path.rstrip('/')}/{d.pk}"
    return Status(200 if replayed else 201, deployment_out(d))


def _deploy(actor, payload: DeploymentIn) -> Deployment:
    return actions.do_create_deployment(
        actor=actor,
        cadre_id=payload.cadre_id,
        mode=payload.mode,
        host_code=payload.host,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        post=payload.post,
        duties=payload.duties,
        host_enterprise=payload.host_enterprise,
        village_post_id=payload.village_post_id,
    )


class AssessorIO(Schema):
    name: str = Field(max_length=60)
    kind: AssessorKindCode


class ScoreIn(Schema):
    deployment: int = Field(description="下沉记录编号 / deployment id")
    score: Decimal = Field(ge=0, le=100)
    comment: str = Field("", max_length=200)


class ScoreOut(Schema):
    deployment: int
    cadre: str
    unit: str | None
    score: float
    comment: str


class AssessmentOut(Schema):
    id: int
    host: Ref
    title: str
    starts_on: dt.date
    ends_on: dt.date
    assessors: list[AssessorIO]
    grassroots: int = Field(description="基层评议人数 / grassroots assessors")
    scores: list[ScoreOut]
    average: float | None


def assessment_out(r: AssessmentRound) -> dict:
    assessors = list(r.assessors.all())
    scores = list(r.scores.all())
    return {
        "id": r.pk,
        "host": {"code": r.host.code, "name": r.host.name},
        "title": r.title,
        "starts_on": r.starts_on,
        "ends_on": r.ends_on,
        "assessors": [{"name": a.name, "kind": a.kind} for a in assessors],
        "grassroots": sum(1 for a in assessors if a.is_grassroots),
        "scores": [
            {
                "deployment": s.deployment_id,
                "cadre": s.deployment.cadre.name,
                "unit": s.unit.code if s.unit_id else None,
                "score": float(s.score),
                "comment": s.comment,
            }
            for s in scores
        ],
        "average": round(sum(float(s.score) for s in scores) / len(scores), 1) if scores else None,
    }


class AssessmentFilters(Schema):
    host: str | None = Field(None, description="驻地区划代码（含下级）/ host division code (and below)")
    unit: str | None = Field(None, description="被评干部的派出单位代码 / unit of the cadres scored")
    mode: Mode | None = Field(None, description="被评干部的下沉方式 / mode of the deployments scored")
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")


@router.get(
    "/cadre-assessments",
    response={200: list[AssessmentOut], **error_responses(400, 401, 403)},
    summary="驻地考核列表 / List the hosts' assessment rounds",
)
@paginate(PagePagination)
def list_assessments(request: HttpRequest, filters: Query[AssessmentFilters]):
    access.require_forces_member(request.user)
    f = filters
    _period(f.date_from, f.date_to)
    qs = access.rounds_visible_to(request.user)
    if f.host:
        from shaobao.org.models import Division

        host = Division.objects.filter(code=Division.full_code(f.host)).first()
        qs = qs.filter(host__code__startswith=host.prefix) if host else qs.none()
    if f.unit:
        qs = qs.filter(scores__unit__code=f.unit)
    if f.mode:
        qs = qs.filter(scores__deployment__mode=f.mode)
    if f.date_from:
        qs = qs.filter(ends_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(starts_on__lte=f.date_to)
    rounds = (
        AssessmentRound.objects.filter(pk__in=qs.values("pk"))
        .select_related("host")
        .prefetch_related("assessors", "scores__deployment__cadre", "scores__unit")
        .order_by("-ends_on", "-id")
    )
    return _Lazy(rounds, assessment_out)


class AssessmentIn(Schema):
    host: str = Field(description="驻地代码 / host code")
    title: str = Field(max_length=100)
    starts_on: dt.date
    ends_on: dt.date
    assessors: list[AssessorIO] = Field(description=GRASSROOTS_HELP)
    scores: list[ScoreIn]


@router.post(
    "/cadre-assessments",
    response={201: AssessmentOut, 200: AssessmentOut, **error_responses(400, 401, 403)},
    summary="驻地考核 / Record the host's assessment",
    description=f"{GRASSROOTS_HELP}. 400 naming the field (`assessors`, `ends_on`, `scores[i].deployment` for a "
    "cadre not deployed to the host in the period); nothing is written then. 200 with the first round when the "
    "`Idempotency-Key` was already used by the same caller.",
)
def create_assessment(
    request: HttpRequest,
    response: HttpResponse,
    payload: AssessmentIn,
    idempotency_key: str | None = key_header(),
):
    access.require_forces_member(request.user)
    r, replayed = create_once(
        request.user,
        "cadre-assessments",
        idempotency_key,
        lambda: actions.do_create_assessment(
            actor=request.user,
            host_code=payload.host,
            title=payload.title,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            assessors=[a.dict() for a in payload.assessors],
            scores=[s.dict() for s in payload.scores],
        ),
        lambda pk: AssessmentRound.objects.get(pk=pk),
    )
    r = AssessmentRound.objects.select_related("host").get(pk=r.pk)
    response["Location"] = f"{request.path.rstrip('/')}/{r.pk}"
    return Status(200 if replayed else 201, assessment_out(r))
