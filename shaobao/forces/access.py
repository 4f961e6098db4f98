"""Who may do what with forces sent down, and the one-object fetches (NotFound outside the user's scope).

- The district (coordinators, administrators) manages every deployment, quota and post of its district.
- A unit's leader sends the unit's own cadres and keeps its quota.
- The host commands (三在一听): the dispatcher and leader of the host street (or of the street the host
  village is in) assign tasks to the cadres there and assess them; the street's leader may end a
  deployment (send the cadre back).
- A deployed cadre logs their own presence and works on the tasks given to them, while deployed.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from shaobao.core.errors import Forbidden, NotFound
from shaobao.forces.models import (
    AssessmentRound,
    Cadre,
    CadreTask,
    Deployment,
    TaskKind,
    TaskState,
    active_on_q,
)
from shaobao.intake import people
from shaobao.org.access import require_member
from shaobao.org.models import LEVEL_PREFIX_LENGTH, Division, Role
from shaobao.org.scoping import scope_of

HOST_COMMANDERS = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} 不存在 / {what} {value} not found") from None


def street_of(host: Division) -> Division | None:
    """The street that commands a host: the host itself, or the street of a host village/community."""
    if host.level == "street":
        return host
    if host.level == "community":
        return host.parent
    return None


def decides_for(user, division: Division | None) -> bool:
    """District coordinators and administrators of the division's district (and superusers)."""
    if user.is_superuser:
        return True
    if division is None:
        return False
    return division.code[: LEVEL_PREFIX_LENGTH["district"]] in people.district_prefixes(user)


def leads_unit(user, unit_id: int | None) -> bool:
    return unit_id is not None and unit_id in people.unit_ids(user, {Role.UNIT_LEADER})


def commands_host(user, host: Division, roles=HOST_COMMANDERS) -> bool:
    """The host's dispatcher or leader (三在一听: whose orders the cadre follows)."""
    if user.is_superuser:
        return True
    return people.acts_for_street(user, street_of(host), roles)


def may_deploy(user, cadre: Cadre) -> bool:
    return decides_for(user, cadre.district) or leads_unit(user, cadre.unit_id)


def may_end(user, deployment: Deployment) -> bool:
    return (
        decides_for(user, deployment.host)
        or leads_unit(user, deployment.unit_id)
        or commands_host(user, deployment.host, {Role.STREET_LEADER})
    )


def cadre_of(user) -> Cadre | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_shaobao_cadre", False)
    if cached is not False:
        return cached
    cadre = Cadre.objects.filter(user=user, is_active=True).select_related("unit").first()
    user._shaobao_cadre = cadre
    return cadre


def active_deployments_of(user, day=None):
    """The user's deployments running on `day` (today), the host's first."""
    day = day or timezone.localdate()
    return (
        Deployment.objects.filter(cadre__user=user, cadre__is_active=True)
        .filter(active_on_q(day))
        .select_related("host", "host__parent", "cadre", "unit")
        .order_by("starts_on", "id")
    )


def deployments_visible_to(user):
    """Deployments a user may see: the district all of its own; a street those it hosts (its villages
    included); a unit those of its cadres; a cadre their own."""
    qs = Deployment.objects.all()
    if user.is_superuser:
        return qs
    scope = scope_of(user)
    q = Q(cadre__user=user) if user.is_authenticated else Q(pk__in=[])
    if scope.is_district:
        q |= scope.code_q("host__code", district_wide=True)
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    for street in Division.objects.filter(pk__in=streets):
        q |= Q(host__code__startswith=street.prefix)
    units = people.unit_ids(user)
    if units:
        q |= Q(unit_id__in=units)
    return qs.filter(q)


def require_forces_member(user) -> None:
    """Staff, or a deployed cadre: a resident or a user without a role gets 403."""
    require_member(user)
    scope = scope_of(user)
    if scope.is_superuser:
        return
    staff = people.STREET_STAFF_ROLES | people.UNIT_STAFF_ROLES | people.DISTRICT_DECIDERS
    if not scope.has_role(*staff, Role.DEPLOYED_CADRE) and cadre_of(user) is None:
        raise Forbidden("此页面仅供工作人员和下沉干部使用 / This page is for staff and deployed cadres")


def require_staff_view(user) -> None:
    """Pages of the district, streets and units (not the cadre's own)."""
    require_member(user)
    staff = people.STREET_STAFF_ROLES | people.UNIT_STAFF_ROLES | people.DISTRICT_DECIDERS
    if not scope_of(user).has_role(*staff):
        raise Forbidden("此页面仅供工作人员使用 / This page is for staff")


def access_deployment(user, deployment_id) -> Deployment:
    require_member(user)
    pk = _pk(deployment_id, "Deployment")
    deployment = (
        deployments_visible_to(user)
        .select_related("cadre", "cadre__user", "host", "host__parent", "unit", "village_post")
        .filter(pk=pk)
        .first()
    )
    if deployment is None:
        raise NotFound(f"下沉记录 {deployment_id} 不存在 / Deployment {deployment_id} not found")
    return deployment


def access_task(user, task_id) -> CadreTask:
    """A task: the cadre it was given to, or whoever may see its deployment."""
    require_member(user)
    pk = _pk(task_id, "Task")
    task = (
        CadreTask.objects.select_related(
            "deployment", "deployment__cadre", "deployment__host", "demand", "whistle", "assigned_by"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None or not deployments_visible_to(user).filter(pk=task.deployment_id).exists():
        raise NotFound(f"任务 {task_id} 不存在 / Task {task_id} not found")
    return task


def rounds_visible_to(user):
    qs = AssessmentRound.objects.all()
    if user.is_superuser:
        return qs
    scope = scope_of(user)
    q = Q(pk__in=[])
    if scope.is_district:
        q |= scope.code_q("host__code", district_wide=True)
    for street in Division.objects.filter(pk__in=people.street_ids(user, people.STREET_STAFF_ROLES)):
        q |= Q(host__code__startswith=street.prefix)
    units = people.unit_ids(user)
    if units:
        q |= Q(scores__unit_id__in=units)
    return qs.filter(q).distinct()


def access_round(user, round_id) -> AssessmentRound:
    require_member(user)
    pk = _pk(round_id, "Assessment")
    found = rounds_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"考核 {round_id} 不存在 / Assessment {round_id} not found")
    return AssessmentRound.objects.select_related("host").get(pk=found.pk)


# --- the hook installed in intake (forces.apps): a deployed cadre handles the demand given to them -----


def cadre_handles_demand(user, demand) -> bool:
    """True when `user` is a cadre deployed (today) to the demand's street or one of its villages, and the
    street's dispatcher gave them this demand, still open. Nothing else: not another street's demand, not
    after the deployment ended, not a demand given to someone else."""
    if user is None or not getattr(user, "is_authenticated", False) or demand.street_id is None:
        return False
    today = timezone.localdate()
    return (
        CadreTask.objects.filter(
            kind=TaskKind.DEMAND,
            demand_id=demand.pk,
            state=TaskState.OPEN,
            deployment__cadre__user=user,
            deployment__cadre__is_active=True,
        )
        .filter(active_on_q(today, "deployment__"))
        .filter(Q(deployment__host_id=demand.street_id) | Q(deployment__host__parent_id=demand.street_id))
        .exists()
    )
