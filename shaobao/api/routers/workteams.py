"""Village work teams (驻村工作队, issue 11 point 3): list and send teams, their plan's measures, district
reviews and household visits. Same permissions as the pages; the rules live in `shaobao.workteams.actions`."""

from datetime import date

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shaobao.api.idempotency import create_once, key_header
from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_workteams import (
    MeasureIn,
    MeasureOut,
    MeasureStateIn,
    ReviewIn,
    ReviewOut,
    TeamMemberIn,
    TeamMemberOut,
    VillageKindCode,
    VisitIn,
    VisitOut,
    WorkTeamDetailOut,
    WorkTeamIn,
    WorkTeamOut,
)
from shaobao.core.errors import NotFound, ValidationFailed
from shaobao.org.models import Division
from shaobao.workteams import actions, selectors
from shaobao.workteams.access import access_team, can_see_visits, require_team_user
from shaobao.workteams.models import Measure, WorkTeam, WorkTeamMember

router = Router(tags=["work-teams 驻村工作队"])
ACTION_ERRORS = error_responses(400, 401, 403, 404, 409)


def _ref(division) -> dict:
    return {"code": division.code, "name": division.name}


def _member(m) -> dict:
    return {
        "id": m.pk,
        "cadre": m.cadre_id,
        "name": m.cadre.name,
        "force": m.force,
        "post": m.post,
        "joined_on": m.joined_on,
        "left_on": m.left_on,
    }


def _measure(m: Measure, today: date) -> dict:
    return {
        "id": m.pk,
        "title": m.title,
        "detail": m.detail,
        "owner": m.owner_id,
        "working_days": m.working_days,
        "due_on": m.due_on,
        "state": m.state,
        "overdue": m.is_open and m.due_on < today,
    }


def _review(r) -> dict:
    return {
        "id": r.pk,
        "reviewed_at": r.reviewed_at,
        "progress": r.progress,
        "problems": r.problems,
        "next_measures": r.next_measures,
        "reviewer": str(r.reviewer) if r.reviewer_id else None,
    }


def _visit(v) -> dict:
    return {
        "id": v.pk,
        "member": v.member_id,
        "household": v.household,
        "address": v.address,
        "visited_on": v.visited_on,
        "notes": v.notes,
    }


def team_summary(team: WorkTeam, members=None) -> dict:
    members = members if members is not None else team.members.all()
    return {
        "id": team.pk,
        "name": team.name,
        "village": _ref(team.village),
        "street": _ref(team.street),
        "kind": team.kind,
        "starts_on": team.starts_on,
        "ends_on": team.ends_on,
        "is_active": team.is_active,
        "last_reviewed_at": team.last_reviewed_at,
        "review_overdue": selectors.is_review_overdue(team),
        "members": [_member(m) for m in members if m.left_on is None],
    }


def team_detail(user, team: WorkTeam) -> dict:
    today = selectors.local_today()
    members = list(team.members.select_related("cadre"))
    out = team_summary(team, members)
    out["measures"] = [_measure(m, today) for m in team.measures.order_by("due_on", "id")]
    out["reviews"] = [_review(r) for r in team.reviews.select_related("reviewer")]
    out["visits"] = (
        [_visit(v) for v in selectors.visits_for(user, team)] if can_see_visits(user, team) else None
    )
    return out


class TeamFilters(Schema):
    street: str | None = Field(None, description="街乡代码 / street code")
    host: str | None = Field(
        None, description="驻地区划代码（街乡或村，含下级）/ host: a street's or a village's code (and below)"
    )
    unit: str | None = Field(
        None,
        description="派出单位代码，reserve 为后备力量库 / unit that sent a present member; `reserve`: the pool",
    )
    kind: VillageKindCode | None = None
    active: bool | None = Field(None, description="在岗 / still in the village")
    overdue: bool | None = Field(
        None, description="调度逾期（超过 14 天）/ not reviewed for more than 14 days"
    )
    date_from: date | None = Field(None, alias="from", description="期间起 / in the village on or after")
    date_to: date | None = Field(None, alias="to", description="期间止 / in the village on or before")
    q: str | None = Field(None, max_length=60)


@router.get(
    "/work-teams",
    response={200: list[WorkTeamOut], **error_responses(400, 401, 403)},
    summary="驻村工作队列表 / List village work teams",
)
@paginate(PagePagination)
def list_teams(request: HttpRequest, filters: Query[TeamFilters]):
    require_team_user(request.user)
    f = filters.dict()
    if f["date_from"] and f["date_to"] and f["date_to"] < f["date_from"]:
        raise ValidationFailed(
            "期间止早于期间起 / The period ends before it starts", fields={"to": "before_from"}
        )
    teams = selectors.teams_for(request.user)
    if f["host"]:
        host = Division.objects.filter(code=Division.full_code(f["host"])).first()
        teams = teams.filter(village__code__startswith=host.prefix) if host else teams.none()
    teams = selectors.filter_teams(
        teams,
        street=f["street"],
        unit=f["unit"],
        kind=f["kind"],
        overdue=f["overdue"],
        active=f["active"],
        q=f["q"],
        date_from=f["date_from"],
        date_to=f["date_to"],
    )
    return _Lazy(_page_source(teams))


class _Lazy:
    """The list for the paginator: it counts the queryset and turns only the sliced page into answers."""

    def __init__(self, qs):
        self.qs = qs

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.qs.count()

    def __getitem__(self, item):
        return [team_summary(t) for t in self.qs[item]]


def _page_source(teams):
    members = Prefetch("members", queryset=WorkTeamMember.objects.select_related("cadre").order_by("id"))
    return (
        teams.order_by("street__code", "village__code", "id")
        .select_related("village", "street")
        .prefetch_related(members)
    )


@router.post(
    "/work-teams",
    response={201: WorkTeamDetailOut, 200: WorkTeamDetailOut, **ACTION_ERRORS},
    summary="派驻工作队 / Send a village work team",
)
def create_team(request: HttpRequest, payload: WorkTeamIn, idempotency_key: str | None = key_header()):
    """Send a team of 4–5 cadres (leadership, resident force, specialist force) to a village of one of the
    five kinds; each member is deployed to the village. 400 naming the field, nothing written, on an
    unknown kind, a wrong team size, a cadre already on a team. 200 with the first team when the
    `Idempotency-Key` was already used by the same caller."""
    team, replayed = create_once(
        request.user,
        "work-teams",
        idempotency_key,
        lambda: actions.do_create_team(
            actor=request.user,
            village_code=payload.village,
            kind=payload.kind,
            name=payload.name,
            starts_on=payload.starts_on,
            members=[actions.MemberSpec(m.cadre, m.force, m.post) for m in payload.members],
        ),
        lambda pk: access_team(request.user, pk),
    )
    return Status(200 if replayed else 201, team_detail(request.user, access_team(request.user, team.pk)))


@router.get(
    "/work-teams/{team_id}",
    response={200: WorkTeamDetailOut, **error_responses(400, 401, 403, 404)},
    summary="驻村工作队详情 / One team with its plan, reviews and (if allowed) visits",
)
def get_team(request: HttpRequest, team_id: int):
    return team_detail(request.user, access_team(request.user, team_id))


@router.post(
    "/work-teams/{team_id}/members",
    response={201: TeamMemberOut, **ACTION_ERRORS},
    summary="增加队员 / Add a member (the district)",
)
def add_member(request: HttpRequest, team_id: int, payload: TeamMemberIn):
    """The cadre is deployed to the village (forces' deploy action: one host at a time, the deployed_cadre
    role). 400 naming the field: a sixth member (`members`, code `team_size`), a post of another force
    (`member.post`), a cadre on another team or deployed elsewhere (`cadre`); 409 for a withdrawn team."""
    access_team(request.user, team_id)
    member = actions.do_add_member(
        actor=request.user, team_id=team_id, cadre_id=payload.cadre, force=payload.force, post=payload.post
    )
    return Status(201, _member(WorkTeamMember.objects.select_related("cadre").get(pk=member.pk)))


@router.post(
    "/work-teams/{team_id}/members/{member_id}/leave",
    response={200: TeamMemberOut, **ACTION_ERRORS},
    summary="队员离队 / A member leaves the team (the district)",
)
def remove_member(request: HttpRequest, team_id: int, member_id: int):
    """The member leaves today and their deployment ends. 400 `members` when the team would keep fewer
    than 4 members or lose a force (add the replacement first); 409 when the member has left already."""
    team = access_team(request.user, team_id)
    if not team.members.filter(pk=member_id).exists():
        raise NotFound(f"队员 {member_id} 不存在 / Member {member_id} not found")
    member = actions.do_remove_member(actor=request.user, member_id=member_id)
    return _member(WorkTeamMember.objects.select_related("cadre").get(pk=member.pk))


@router.post(
    "/work-teams/{team_id}/measures",
    response={201: MeasureOut, **ACTION_ERRORS},
    summary="添加施工图措施 / Add a measure to the village plan",
)
def add_measure(request: HttpRequest, team_id: int, payload: MeasureIn):
    access_team(request.user, team_id)
    m = actions.do_add_measure(
        actor=request.user,
        team_id=team_id,
        title=payload.title,
        owner_id=payload.owner,
        working_days=payload.working_days,
        detail=payload.detail,
    )
    return Status(201, _measure(m, selectors.local_today()))


@router.post(
    "/work-teams/{team_id}/measures/{measure_id}/state",
    response={200: MeasureOut, **ACTION_ERRORS},
    summary="更新措施状态 / Move a measure on (team members)",
)
def set_measure_state(request: HttpRequest, team_id: int, measure_id: int, payload: MeasureStateIn):
    team = access_team(request.user, team_id)
    if not team.measures.filter(pk=measure_id).exists():
        raise NotFound(f"措施 {measure_id} 不存在 / Measure {measure_id} not found")
    m = actions.do_set_measure_state(actor=request.user, measure_id=measure_id, state=payload.state)
    return _measure(m, selectors.local_today())


@router.post(
    "/work-teams/{team_id}/reviews",
    response={201: ReviewOut, **ACTION_ERRORS},
    summary="区级调度 / Record a district review",
)
def record_review(request: HttpRequest, team_id: int, payload: ReviewIn):
    access_team(request.user, team_id)
    r = actions.do_record_review(
        actor=request.user,
        team_id=team_id,
        progress=payload.progress,
        problems=payload.problems,
        next_measures=payload.next_measures,
    )
    return Status(201, _review(r))


@router.post(
    "/work-teams/{team_id}/visits",
    response={201: VisitOut, **ACTION_ERRORS},
    summary="登记入户走访 / Record a household visit (team members)",
)
def record_visit(request: HttpRequest, team_id: int, payload: VisitIn):
    access_team(request.user, team_id)
    v = actions.do_record_visit(
        actor=request.user,
        team_id=team_id,
        household=payload.household,
        address=payload.address,
        visited_on=payload.visited_on,
        notes=payload.notes,
    )
    return Status(201, _visit(v))
