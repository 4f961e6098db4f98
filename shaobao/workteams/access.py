"""Who may see and do what with a village work team.

- District coordinators (and administrators) see every team of their district, review them, send them
  and change their members.
- Street staff see the teams in their street's villages.
- A team's active members (users linked to a forces.Cadre, with the deployed_cadre role) see their own team,
  keep its plan, update its measures and record household visits.
- Unit staff see the teams their unit's cadres sit on, but not the household visits.
Household visits are private: only the street, the district and the team see them (`private_q`).
"""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.intake import people
from shaobao.org.access import STAFF_ROLES
from shaobao.org.scoping import scope_of
from shaobao.workteams.models import MEMBER_ROLE, WorkTeam, private_q

# Who may open the work-team pages at all: staff and deployed cadres (residents and role-less users: 403).
TEAM_PAGE_ROLES = frozenset(STAFF_ROLES | {MEMBER_ROLE})


def require_team_user(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("请先登录 / Please log in")
    if not scope_of(user).has_role(*TEAM_PAGE_ROLES):
        raise Forbidden("此页面仅供工作人员和驻村干部使用 / This page is for staff and deployed cadres")


def access_team(user, team_id):
    """The team, or NotFound when it does not exist or lies outside what the user may see."""
    require_team_user(user)
    try:
        pk = int(team_id)
    except (TypeError, ValueError):
        raise NotFound(f"驻村工作队 {team_id} 不存在 / Work team {team_id} not found") from None
    team = WorkTeam.objects.visible_to(user).select_related("village", "street").filter(pk=pk).first()
    if team is None:
        raise NotFound(f"驻村工作队 {team_id} 不存在 / Work team {team_id} not found")
    return team


# --- roles on one team --------------------------------------------------------------------------


def is_district_for(user, village_code: str) -> bool:
    """The user is a district coordinator/administrator of the district the village lies in."""
    if getattr(user, "is_superuser", False):
        return True
    return any(village_code.startswith(p) for p in people.district_prefixes(user))


def can_review(user, team) -> bool:
    return is_district_for(user, team.village.code)


def can_see_visits(user, team) -> bool:
    return WorkTeam.objects.filter(private_q(user), pk=team.pk).exists()


def seat_of(user, team):
    """The user's active seat on the team (a WorkTeamMember), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        team.members.filter(left_on__isnull=True, cadre__user_id=user.pk).select_related("cadre").first()
        if scope_of(user).has_role(MEMBER_ROLE) or user.is_superuser
        else None
    )


def can_work(user, team) -> bool:
    """Record visits and update measure states: the team's active members."""
    return team.is_active and seat_of(user, team) is not None


def can_plan(user, team) -> bool:
    """Add measures to the plan: the team's members and the district."""
    return team.is_active and (can_work(user, team) or can_review(user, team))
