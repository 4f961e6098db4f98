"""Who may see what: the one place that turns a user's memberships into a scope.

Lists are filtered with `Model.objects.visible_to(user)`; single objects are fetched with the
`access_*(user, ...)` functions, which raise `NotFound` for objects outside the user's organisation
(we do not reveal that they exist) and `Forbidden` when the user is anonymous or has no role.
"""

from __future__ import annotations

# The scope itself is computed next to the memberships it is made of (org.models), so that the
# querysets' visible_to can use it without org.models and org.scoping importing each other.
from dataclasses import dataclass

from django.db.models import Q

from shaobao.org.acting import keys_of
from shaobao.org.models import EMPTY_SCOPE, Division, Membership, Scope, Unit, scope_of

__all__ = ["EMPTY_SCOPE", "Area", "Scope", "acting_key", "areas_of", "district_of", "scope_of"]


def district_of(user) -> Division | None:
    scope = scope_of(user)
    if not scope.district_prefixes:
        return (
            Division.objects.filter(level="district").order_by("code").first() if scope.is_superuser else None
        )
    # The district acted in (org.acting: one area per request); a city-level member has none.
    districts = Division.objects.filter(level="district")
    for prefix in scope.district_prefixes:
        district = districts.filter(code=Division.full_code(prefix)).first()
        if district is not None:
            return district
    return None


# --- what the filters and pickers offer ---------------------------------------------------------------
def streets_for(user):
    """Streets a user's filters and pickers list: street staff their own streets; district and unit
    roles the streets of their district (units serve every street of it)."""
    scope = scope_of(user)
    streets = Division.objects.filter(level="street")
    if scope.is_superuser:
        return streets.order_by("code")
    q = Q(pk__in=scope.street_ids)
    if scope.is_district or scope.is_unit:
        q |= scope.code_q("code", district_wide=True)
    return streets.filter(q).order_by("code")


def units_for(user):
    """Units a user's filters and pickers list: district roles every unit of the district; street staff
    the units serving their streets (`Unit.objects.serving`); unit staff their own units."""
    scope = scope_of(user)
    units = Unit.objects.filter(is_active=True)
    if scope.is_superuser:
        return units.order_by("code")
    q = Q(pk__in=scope.unit_ids)
    if scope.is_district:
        q |= scope.code_q("division__code", district_wide=True)
    for street in Division.objects.filter(pk__in=scope.street_ids):
        q |= Q(pk__in=Unit.objects.serving(street).values("pk"))
    return units.filter(q).order_by("code")


# --- what the top bar and the API show ----------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    key: str
    code: str  # the 12-digit code of the district / city
    name: str
    level: str
    current: bool


def areas_of(user) -> list[Area]:
    """The user's areas with their names (the current one marked), in default order."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    scope_of(user)  # resolves the area acted in
    keys = getattr(user, "_shaobao_areas", None)
    if keys is None:
        pairs = Membership.objects.filter(user=user).values_list("division__code", "division__level")
        keys = keys_of(pairs)
    current = getattr(user, "_shaobao_acting", None)
    names = {d.code: d for d in Division.objects.filter(code__in=[Division.full_code(k) for k in keys])}
    out = []
    for key in keys:
        d = names.get(Division.full_code(key))
        out.append(
            Area(
                key=key,
                code=Division.full_code(key),
                name=d.name if d else key,
                level=d.level if d else ("district" if len(key) == 6 else "city"),
                current=key == current,
            )
        )
    return out


def acting_key(user) -> str | None:
    """The area this request acts in (after the memberships were read), or None for no membership."""
    scope_of(user)
    return getattr(user, "_shaobao_acting", None)
