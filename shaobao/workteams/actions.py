"""Writes of the village work teams: send a team, change its members, keep its plan, record visits and
district reviews. Each do_* checks the actor, validates everything before writing, writes in one
transaction with an audit event, and raises ValidationFailed (400, naming the field) or Conflict (409)
with nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.calendar import add_working_days, local_tz
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.forces.models import Cadre, Deployment, DeploymentMode, VillagePost, overlaps_q
from shaobao.org.models import Division, DivisionLevel
from shaobao.workteams.access import access_team, can_plan, can_review, is_district_for, seat_of
from shaobao.workteams.models import (
    MEASURE_STEPS,
    POSTS_OF_FORCE,
    HouseholdVisit,
    Measure,
    MeasureState,
    MemberPost,
    TeamForce,
    TeamReview,
    VillageKind,
    WorkTeam,
    WorkTeamMember,
)

MIN_MEMBERS = 4
MAX_MEMBERS = 5
MAX_WORKING_DAYS = 250  # about a year: a measure of the plan, not a programme
# The resident force's posts are posts in the village (到村任职); the others are stationed with households.
VILLAGE_POST_POSTS = {MemberPost.FIRST_SECRETARY, MemberPost.SELECTED_GRADUATE, MemberPost.VILLAGE_OFFICIAL}


@dataclass(frozen=True)
class MemberSpec:
    cadre_id: int
    force: str
    post: str


def today() -> dt.date:
    return timezone.now().astimezone(local_tz()).date()


def _require_district(actor, village: Division) -> None:
    if not is_district_for(actor, village.code):
        raise Forbidden(
            "只有区级统筹人员可以派驻和调整工作队 / Only the district sends and changes work teams"
        )


def _size_error(n: int) -> ValidationFailed:
    message = (
        f"驻村工作队须有 {MIN_MEMBERS}–{MAX_MEMBERS} 名在岗队员（现为 {n} 名）"
        f" / A village work team has {MIN_MEMBERS} to {MAX_MEMBERS} active members ({n} given)"
    )
    return ValidationFailed(message, fields={"members": message}, code="team_size")


def _forces_error(missing: set[str]) -> ValidationFailed:
    from django.utils import translation

    def names(language: str) -> str:
        with translation.override(language):
            return ", ".join(str(TeamForce(f).label) for f in sorted(missing))

    message = (
        f"驻村工作队须由领导力量、驻村力量和专业力量组成，缺少：{names('zh-hans')}"
        f" / A village work team has members of all three forces; missing: {names('en')}"
    )
    return ValidationFailed(message, fields={"members": message}, code="team_forces")


def _check_post(force: str, post: str, field: str) -> None:
    if force not in TeamForce.values:
        raise ValidationFailed(
            f"未知的力量类别 {force!r} / Unknown force {force!r}", fields={f"{field}.force": "unknown force"}
        )
    if post not in MemberPost.values:
        raise ValidationFailed(
            f"未知的岗位 {post!r} / Unknown post {post!r}", fields={f"{field}.post": "unknown post"}
        )
    if post not in POSTS_OF_FORCE[TeamForce(force)]:
        message = f"岗位 {post} 不属于 {force} / The post {post} is not one of the force {force}"
        raise ValidationFailed(message, fields={f"{field}.post": message})


def _check_cadre(cadre_id, district_prefix: str, field: str, *, taken: set[int]) -> Cadre:
    try:
        pk = int(cadre_id)
    except (TypeError, ValueError):
        pk = None
    cadre = (
        Cadre.objects.select_for_update().select_related("district").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if cadre is None or not cadre.district.code.startswith(district_prefix):
        message = f"干部 {cadre_id} 不存在 / Cadre {cadre_id} not found in this district"
        raise ValidationFailed(message, fields={field: message})
    if not cadre.is_active:
        message = f"干部 {cadre.name} 已停用 / Cadre {cadre_id} is not active"
        raise ValidationFailed(message, fields={field: message})
    if cadre.pk in taken:
        message = f"干部 {cadre.name} 重复 / Cadre {cadre_id} is listed twice"
        raise ValidationFailed(message, fields={field: message})
    if WorkTeamMember.objects.filter(cadre=cadre, left_on__isnull=True).exists():
        message = f"干部 {cadre.name} 已在另一支工作队 / Cadre {cadre_id} already sits on an active work team"
        raise ValidationFailed(message, fields={field: message})
    return cadre


def _deploy(cadre: Cadre, village: Division, post: str, starts_on: dt.date, actor, field: str) -> Deployment:
    """Deploy a member to the village through `forces.actions.do_create_deployment` (one host at a time; the
    cadre's account gets the deployed_cadre role at the village, so a team member uses the forces pages too).
    A resident-force post fills the village post of that title (到村任职; created if the village has none),
    unless it is filled already: then the member is stationed with households (驻村包户), as the leadership
    and the specialists are. The forces rules' errors name `field`."""
    from shaobao.forces.actions import do_create_deployment

    label = str(MemberPost(post).label)
    vacant = None
    if post in VILLAGE_POST_POSTS:
        busy = Deployment.objects.filter(village_post=OuterRef("pk")).filter(
            overlaps_q(starts_on, dt.date.max)
        )
        posts = VillagePost.objects.filter(village=village, title=label)
        if not posts.exists():  # the village's first post of this title: it is created, and filled
            VillagePost.objects.get_or_create(village=village, title=label)
        vacant = posts.filter(is_active=True).exclude(Exists(busy)).first()
    try:
        return do_create_deployment(
            actor=actor,
            cadre_id=cadre.pk,
            mode=DeploymentMode.VILLAGE_POST if vacant else DeploymentMode.VILLAGE_HOUSEHOLD,
            host_code=village.code,
            starts_on=starts_on,
            post=label,
            duties="驻村工作队",
            village_post_id=vacant.pk if vacant else None,
        )
    except ValidationFailed as exc:
        if exc.fields and "cadre" in exc.fields:
            message = (
                f"干部 {cadre.name} 在此期间已下沉到别处 / Cadre {cadre.pk} is already deployed elsewhere"
            )
            raise ValidationFailed(message, fields={field: "already_deployed"}) from exc
        raise


def _end_deployments(actor, deployment_ids) -> None:
    """End the running deployments today through `forces.actions.do_end_deployment` (the deployed_cadre role
    at the village goes with the last one)."""
    from shaobao.forces.actions import do_end_deployment

    running = Deployment.objects.filter(pk__in=[d for d in deployment_ids if d]).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=today())
    )
    for pk in running.values_list("pk", flat=True):
        do_end_deployment(actor=actor, deployment_id=pk, ends_on=today(), note="驻村工作队")


def _village(code) -> Division:
    village = (
        Division.objects.select_related("parent").filter(code=Division.full_code(str(code or ""))).first()
        if code
        else None
    )
    if village is None or village.level != DivisionLevel.COMMUNITY or village.parent_id is None:
        message = f"村（社区）{code} 不存在 / Village {code} not found"
        raise ValidationFailed(message, fields={"village": message})
    return village


# --- send a team --------------------------------------------------------------------------------


def do_create_team(
    *,
    actor,
    village_code: str,
    kind: str,
    members: list[MemberSpec],
    name: str = "",
    starts_on: dt.date | None = None,
) -> WorkTeam:
    """Send a team of 4–5 cadres (all three forces) to a village; each member gets a deployment there."""
    if kind not in VillageKind.values:
        raise ValidationFailed(
            f"未知的村类别 {kind!r} / Unknown village kind {kind!r}",
            fields={"kind": f"one of {', '.join(VillageKind.values)}"},
        )
    village = _village(village_code)
    _require_district(actor, village)
    if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
        raise _size_error(len(members))
    starts_on = starts_on or today()
    district_prefix = village.code[:6]
    with transaction.atomic():
        cadres: list[Cadre] = []
        taken: set[int] = set()
        for i, spec in enumerate(members):
            _check_post(spec.force, spec.post, f"members.{i}")
            cadre = _check_cadre(spec.cadre_id, district_prefix, f"members.{i}.cadre", taken=taken)
            taken.add(cadre.pk)
            cadres.append(cadre)
        missing = set(TeamForce.values) - {m.force for m in members}
        if missing:
            raise _forces_error(missing)
        team = WorkTeam.objects.create(
            name=(name or "").strip() or f"{village.name}驻村工作队",
            village=village,
            street_id=village.parent_id,
            kind=kind,
            starts_on=starts_on,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        try:
            with transaction.atomic():
                for i, (cadre, spec) in enumerate(zip(cadres, members, strict=True)):
                    WorkTeamMember.objects.create(
                        team=team,
                        cadre=cadre,
                        deployment=_deploy(cadre, village, spec.post, starts_on, actor, f"members.{i}.cadre"),
                        force=spec.force,
                        post=spec.post,
                        joined_on=starts_on,
                    )
        except IntegrityError as exc:  # a cadre put on another team at the same moment
            raise Conflict("干部已在另一支工作队 / A cadre was put on another team meanwhile") from exc
        audit.record(team, "team_created", actor=actor, data={"kind": kind, "members": sorted(taken)})
    return team


def _lock_team(actor, team_id) -> WorkTeam:
    team = access_team(actor, team_id)
    locked = WorkTeam.objects.select_for_update().select_related("village", "street").get(pk=team.pk)
    if not locked.is_active:
        raise Conflict("工作队已撤回 / The work team has been withdrawn", code="team_closed")
    return locked


def do_add_member(*, actor, team_id, cadre_id, force: str, post: str) -> WorkTeamMember:
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        _require_district(actor, team.village)
        active = team.members.filter(left_on__isnull=True).count()
        if active + 1 > MAX_MEMBERS:
            raise _size_error(active + 1)
        _check_post(force, post, "member")
        cadre = _check_cadre(cadre_id, team.village.code[:6], "cadre", taken=set())
        member = WorkTeamMember.objects.create(
            team=team,
            cadre=cadre,
            deployment=_deploy(cadre, team.village, post, today(), actor, "cadre"),
            force=force,
            post=post,
            joined_on=today(),
        )
        audit.record(team, "member_added", actor=actor, data={"cadre": cadre.pk, "post": post})
    return member


def do_remove_member(*, actor, member_id) -> WorkTeamMember:
    """A member leaves the team (their deployment ends today). The team keeps 4 members and all three
    forces: add the replacement first."""
    member = WorkTeamMember.objects.filter(pk=member_id).select_related("team").first()
    if member is None:
        raise NotFound(f"队员 {member_id} 不存在 / Member {member_id} not found")
    with transaction.atomic():
        team = _lock_team(actor, member.team_id)
        _require_district(actor, team.village)
        member = WorkTeamMember.objects.select_for_update().get(pk=member.pk)
        if member.left_on is not None:
            raise Conflict("该队员已离队 / This member has already left", code="illegal_transition")
        rest = list(team.members.filter(left_on__isnull=True).exclude(pk=member.pk))
        if len(rest) < MIN_MEMBERS:
            raise _size_error(len(rest))
        missing = set(TeamForce.values) - {m.force for m in rest}
        if missing:
            raise _forces_error(missing)
        member.left_on = today()
        member.save(update_fields=["left_on"])
        _end_deployments(actor, [member.deployment_id])
        audit.record(team, "member_removed", actor=actor, data={"cadre": member.cadre_id})
    return member


def do_close_team(*, actor, team_id, note: str = "") -> WorkTeam:
    """Withdraw the team (irreversible): its members leave and their deployments end today."""
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        _require_district(actor, team.village)
        day = today()
        seats = list(team.members.filter(left_on__isnull=True))
        _end_deployments(actor, [s.deployment_id for s in seats])
        team.members.filter(left_on__isnull=True).update(left_on=day)
        team.is_active = False
        team.ends_on = day
        team.save(update_fields=["is_active", "ends_on"])
        audit.record(team, "team_closed", actor=actor, note=note)
    return team


# --- the plan -----------------------------------------------------------------------------------


def measure_due_on(start: dt.datetime, working_days: int) -> dt.date:
    """The deadline of a measure: `working_days` working days after `start` (China's calendar)."""
    return add_working_days(start, working_days).astimezone(local_tz()).date()


def do_add_measure(
    *, actor, team_id, title: str, owner_id, working_days: int, detail: str = "", now=None
) -> Measure:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("请填写措施 / The measure is required", fields={"title": "required"})
    try:
        days = int(working_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_WORKING_DAYS:
        message = f"工作日数须在 1–{MAX_WORKING_DAYS} 之间 / Between 1 and {MAX_WORKING_DAYS} working days"
        raise ValidationFailed(message, fields={"working_days": message})
    now = now or timezone.now()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if not can_plan(actor, team):
            raise Forbidden(
                "只有本队队员和区级统筹人员可以制定施工图 / Only the team and the district keep the plan"
            )
        owner = team.members.filter(pk=_int(owner_id), left_on__isnull=True).first()
        if owner is None:
            message = "责任人须为本队在岗队员 / The owner must be an active member of the team"
            raise ValidationFailed(message, fields={"owner": message})
        measure = Measure.objects.create(
            team=team,
            title=title,
            detail=(detail or "").strip(),
            owner=owner,
            working_days=days,
            due_on=measure_due_on(now, days),
            created_by=actor,
            created_at=now,
        )
        audit.record(measure, "measure_added", actor=actor, to_state=measure.state)
    return measure


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def do_set_measure_state(*, actor, measure_id, state: str) -> Measure:
    """A member moves a measure on (planned → in progress → done; or dropped). Done and dropped are final."""
    if state not in MeasureState.values:
        raise ValidationFailed(f"未知的状态 {state!r} / Unknown state {state!r}", fields={"state": "unknown"})
    measure = Measure.objects.filter(pk=_int(measure_id)).first()
    if measure is None:
        raise NotFound(f"措施 {measure_id} 不存在 / Measure {measure_id} not found")
    with transaction.atomic():
        team = _lock_team(actor, measure.team_id)
        if seat_of(actor, team) is None and not getattr(actor, "is_superuser", False):
            raise Forbidden("只有本队队员可以更新措施 / Only the team's members update its measures")
        measure = Measure.objects.select_for_update().get(pk=measure.pk)
        if state not in MEASURE_STEPS[MeasureState(measure.state)]:
            raise Conflict(
                f"措施状态不能从 {measure.state} 改为 {state} / A measure cannot go from {measure.state} to {state}",
                code="illegal_transition",
            )
        before = measure.state
        measure.state = state
        measure.done_at = timezone.now() if state == MeasureState.DONE else None
        measure.save(update_fields=["state", "done_at"])
        audit.record(measure, "measure_state", actor=actor, from_state=before, to_state=state)
    return measure


# --- household visits ---------------------------------------------------------------------------


def do_record_visit(
    *, actor, team_id, household: str, visited_on: dt.date, address: str = "", notes: str = ""
) -> HouseholdVisit:
    """A member records a visit to a household (the visiting member is the actor's seat on the team)."""
    household = (household or "").strip()
    if not household:
        raise ValidationFailed("请填写走访户 / The household is required", fields={"household": "required"})
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        seat = seat_of(actor, team)
        if seat is None:
            raise Forbidden("只有本队队员可以登记走访 / Only the team's members record visits")
        if visited_on is None or visited_on > today() or visited_on < team.starts_on:
            message = (
                "走访日期须在工作队派驻之后、今天之前 / The date must lie between the team's start and today"
            )
            raise ValidationFailed(message, fields={"visited_on": message})
        visit = HouseholdVisit.objects.create(
            team=team,
            member=seat,
            household=household,
            address=(address or "").strip(),
            visited_on=visited_on,
            notes=(notes or "").strip(),
            created_by=actor,
        )
        # The audit record names no household: visits are private to the street, the district and the team.
        audit.record(team, "visit_recorded", actor=actor, data={"visit": visit.pk})
    return visit


# --- district reviews (调度) --------------------------------------------------------------------


def do_record_review(
    *, actor, team_id, progress: str, problems: str = "", next_measures: str = "", now=None
) -> TeamReview:
    """The district reviews a team (irreversible: a review is a record, not a draft)."""
    progress = (progress or "").strip()
    if not progress:
        raise ValidationFailed("请填写工作进展 / The progress is required", fields={"progress": "required"})
    now = now or timezone.now()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if not can_review(actor, team):
            raise Forbidden("只有区级统筹人员可以调度工作队 / Only the district reviews work teams")
        review = TeamReview.objects.create(
            team=team,
            reviewed_at=now,
            progress=progress,
            problems=(problems or "").strip(),
            next_measures=(next_measures or "").strip(),
            reviewer=actor,
        )
        team.last_reviewed_at = max(filter(None, [team.last_reviewed_at, now]))
        team.save(update_fields=["last_reviewed_at"])
        audit.record(team, "team_reviewed", actor=actor, data={"review": review.pk})
    return review
