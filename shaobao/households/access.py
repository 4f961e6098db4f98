"""Who sees and who manages grids, grid workers and households.

Households are private by default:
- a street's dispatchers and leaders see and manage the households of their street (and unmask a head of
  household's contact, logged);
- a grid worker sees and manages the households of the grids they are attached to (active `GridWorker` in a
  street where they still hold the grid_worker role), and may unmask their contacts (logged);
- a joint-defence group's lead (`HouseholdGroup.lead_user`) sees their group's households, masked, to confirm
  them in an emergency;
- the district (coordinators, administrators) sees counts only, never a household;
- nobody sees another street's households: a street is never a household's street by accident, the filter
  is by the street's id.

Grids, grid workers and their figures: the district sees its district's, street staff (grid workers
included) their street's.

`reach(user)` reads this once per request (cached on the user object); `households_q` and the others turn it
into filters; `access_*` fetch one object or raise NotFound (what you may not see does not exist for you).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.intake import people
from shaobao.org.models import Division, Grid, Role

MANAGER_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
WORKER_ROLES = frozenset({Role.GRID_WORKER})


@dataclass(frozen=True)
class Reach:
    everything: bool
    district_prefixes: frozenset[str]  # counts of households; grids, workers and figures of the district
    street_ids: frozenset[int]  # dispatchers and leaders: manage the street's grids and households
    worker_street_ids: frozenset[int]  # grid workers: see their street's grids and workers
    grid_ids: frozenset[int]  # the grids the user works in as a grid worker
    lead_group_ids: frozenset[int]  # the joint-defence groups the user leads

    @property
    def sees_households(self) -> bool:
        return bool(self.everything or self.street_ids or self.grid_ids or self.lead_group_ids)

    @property
    def sees_grids(self) -> bool:
        return bool(self.everything or self.district_prefixes or self.street_ids or self.worker_street_ids)

    @property
    def is_district(self) -> bool:
        return bool(self.everything or self.district_prefixes)


NO_REACH = Reach(False, frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


def reach(user) -> Reach:
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_REACH
    cached = getattr(user, "_households_reach", None)
    if cached is not None:
        return cached
    from shaobao.households.models import GridWorker, HouseholdGroup

    worker_streets = frozenset(people.street_ids(user, WORKER_ROLES))
    grid_ids = frozenset(
        GridWorker.objects.filter(user=user, is_active=True, street_id__in=worker_streets).values_list(
            "grid_id", flat=True
        )
        if worker_streets
        else ()
    )
    result = Reach(
        everything=bool(user.is_superuser),
        district_prefixes=frozenset(people.district_prefixes(user)),
        street_ids=frozenset(people.street_ids(user, MANAGER_ROLES)),
        worker_street_ids=worker_streets,
        grid_ids=grid_ids,
        lead_group_ids=frozenset(HouseholdGroup.objects.filter(lead_user=user).values_list("pk", flat=True)),
    )
    user._households_reach = result
    return result


def require_login(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("请先登录 / Please log in")


def require_grids_viewer(user) -> Reach:
    require_login(user)
    r = reach(user)
    if not r.sees_grids:
        raise Forbidden("仅限街乡和区级工作人员 / Street and district staff only")
    return r


def require_household_viewer(user) -> Reach:
    """Street staff, grid workers and group leads; the district is told it sees counts only (403)."""
    require_login(user)
    r = reach(user)
    if not r.sees_households:
        raise Forbidden(
            "住户信息仅限本街乡及其网格员查看 / Households are seen only by their street and its grid workers"
        )
    return r


# --- filters --------------------------------------------------------------------------------------


def households_q(r: Reach, prefix: str = "") -> Q:
    """The households a user sees (never the district's, never another street's)."""
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    if r.street_ids:
        q |= Q(**{f"{prefix}street_id__in": r.street_ids})
    if r.grid_ids:
        q |= Q(**{f"{prefix}grid_id__in": r.grid_ids})
    if r.lead_group_ids:
        q |= Q(**{f"{prefix}group_id__in": r.lead_group_ids})
    return q


def groups_q(r: Reach) -> Q:
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    if r.street_ids:
        q |= Q(street_id__in=r.street_ids)
    if r.grid_ids:
        q |= Q(grid_id__in=r.grid_ids)
    if r.lead_group_ids:
        q |= Q(pk__in=r.lead_group_ids)
    return q


def grids_q(r: Reach, prefix: str = "") -> Q:
    """Grids (and what hangs on them: workers, figures, counts) the user sees: the district's, the street's."""
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    for p in r.district_prefixes:
        q |= Q(**{f"{prefix}community__code__startswith": p})
    streets = r.street_ids | r.worker_street_ids
    if streets:
        q |= Q(**{f"{prefix}community__parent_id__in": streets})
    return q


def street_q(r: Reach, field: str = "street") -> Q:
    """Rows with a street (workers, households for counts) in the user's grid territory."""
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    for p in r.district_prefixes:
        q |= Q(**{f"{field}__code__startswith": p})
    streets = r.street_ids | r.worker_street_ids
    if streets:
        q |= Q(**{f"{field}_id__in": streets})
    return q


# --- single rules -----------------------------------------------------------------------------------


def street_of(grid: Grid) -> Division:
    return grid.community.parent


def manages_street(user, street: Division | None) -> bool:
    """Attach grid workers, add micro-grids: the street's dispatchers and leaders, the district."""
    if street is None:
        return False
    r = reach(user)
    if r.everything or street.pk in r.street_ids:
        return True
    return any(street.code.startswith(p) for p in r.district_prefixes)


def manages_households_of(user, grid: Grid) -> bool:
    """Register households and form groups in a grid: the street's dispatchers and leaders, its grid workers."""
    r = reach(user)
    return bool(r.everything or grid.community.parent_id in r.street_ids or grid.pk in r.grid_ids)


def may_reveal(user, household) -> bool:
    """Unmask the head of household's contact: the street's dispatchers and leaders, the grid's workers."""
    r = reach(user)
    return bool(r.everything or household.street_id in r.street_ids or household.grid_id in r.grid_ids)


def may_tap(user, household) -> bool:
    r = reach(user)
    return bool(
        r.everything
        or household.street_id in r.street_ids
        or household.grid_id in r.grid_ids
        or (household.group_id is not None and household.group_id in r.lead_group_ids)
    )


def access_grid(user, code: str) -> Grid:
    require_login(user)
    grid = (
        Grid.objects.select_related("community__parent")
        .filter(grids_q(reach(user)), code=(code or "").strip())
        .first()
    )
    if grid is None:
        raise NotFound(f"网格 {code} 不存在 / Grid {code} not found")
    return grid


def access_household(user, pk: int):
    from shaobao.households.models import Household

    require_household_viewer(user)
    household = (
        Household.objects.select_related("grid", "street", "group", "micro_grid")
        .filter(households_q(reach(user)), pk=pk, is_active=True)
        .first()
    )
    if household is None:
        raise NotFound("没有这户 / No such household")
    return household
