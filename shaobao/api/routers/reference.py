"""Reference data: divisions, units and the duty list in force (issue 2, part 8)."""

from types import SimpleNamespace

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from shaobao.api.pagination import PagePagination
from shaobao.api.schemas import DivisionOut, MatterDetailOut, MatterOut, MeOut, UnitOut, error_responses
from shaobao.api.selectors import search_matters
from shaobao.core.errors import NotFound
from shaobao.duties.selectors import matter_in_force, rule_for
from shaobao.org.access import access_division, access_unit, require_member
from shaobao.org.models import Division, Unit
from shaobao.org.scoping import district_of, scope_of

router = Router(tags=["reference 基础数据"])


@router.get("/me", response={200: MeOut, **error_responses(401)}, summary="当前用户 / Who am I")
def me(request: HttpRequest):
    """The caller's roles, district, streets and units (what the token may act for)."""
    user = request.user
    scope = scope_of(user)
    return {
        "username": user.username,
        "name": str(user),
        "roles": sorted(scope.roles),
        "district": district_of(user),
        "streets": list(Division.objects.filter(pk__in=scope.street_ids).order_by("code")),
        "units": list(Unit.objects.filter(pk__in=scope.unit_ids).order_by("code")),
    }


class DivisionFilters(Schema):
    parent: str | None = None
    level: str | None = None


@router.get(
    "/divisions",
    response={200: list[DivisionOut], **error_responses(400, 401, 403, 404)},
    summary="区划列表 / List divisions",
)
@paginate(PagePagination)
def list_divisions(request: HttpRequest, filters: Query[DivisionFilters]):
    """Divisions the caller may see; `parent` (a code, short or 12-digit) lists its children."""
    require_member(request.user)
    divisions = Division.objects.visible_to(request.user).select_related("parent")
    if filters.parent:
        divisions = divisions.filter(parent=access_division(request.user, filters.parent))
    if filters.level:
        divisions = divisions.filter(level=filters.level)
    return divisions.order_by("code")


class UnitFilters(Schema):
    division: str | None = None
    kind: str | None = None


@router.get(
    "/units",
    response={200: list[UnitOut], **error_responses(400, 401, 403, 404)},
    summary="单位列表 / List units",
)
@paginate(PagePagination)
def list_units(request: HttpRequest, filters: Query[UnitFilters]):
    """Units of the caller's district; `division` keeps those attached to that division exactly."""
    require_member(request.user)
    units = Unit.objects.visible_to(request.user).select_related("division", "parent")
    if filters.division:
        units = units.filter(division=access_division(request.user, filters.division))
    if filters.kind:
        units = units.filter(kind=filters.kind)
    return units.order_by("code")


@router.get(
    "/units/{code}",
    response={200: UnitOut, **error_responses(400, 401, 403, 404)},
    summary="单位详情 / One unit",
)
def get_unit(request: HttpRequest, code: str):
    return access_unit(request.user, code)


@router.get(
    "/matters",
    response={200: list[MatterOut], **error_responses(400, 401, 403)},
    summary="事项检索 / Search the duty list in force",
)
@paginate(PagePagination)
def list_matters(request: HttpRequest, q: str = ""):
    """Matters of the duty list in force in the caller's district, matching code, name or keywords."""
    require_member(request.user)
    return search_matters(district_of(request.user), q)


@router.get(
    "/matters/{code}",
    response={200: MatterDetailOut, **error_responses(400, 401, 403, 404)},
    summary="事项详情 / One matter",
)
def get_matter(request: HttpRequest, code: str, street: str | None = None):
    """One matter of the list in force; with `street`, also the rule after that street's override."""
    require_member(request.user)
    district = district_of(request.user)
    matter = matter_in_force(code, district) if district is not None else None
    if matter is None:
        raise NotFound(f"事项 {code} 不存在 / Matter {code} not found")
    matter.rule = None
    if street:
        division = access_division(request.user, street)
        rule = rule_for(matter, division)
        matter.rule = SimpleNamespace(
            street=division,
            lead_unit=rule.lead_unit,
            supporting_units=list(rule.supporting_units),
            time_limit=rule.time_limit,
            time_limit_unit=rule.time_limit_unit,
            street_may_handle=rule.street_may_handle,
        )
    return matter
