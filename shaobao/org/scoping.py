"""Who may see what: the one place that turns a user's memberships into a scope.

Lists are filtered with `Model.objects.visible_to(user)`; single objects are fetched with the
`access_*(user, ...)` functions, which raise `NotFound` for objects outside the user's organisation
(we do not reveal that they exist) and `Forbidden` when the user is anonymous or has no role.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from shaobao.org.models import (
    DISTRICT_ROLES,
    LEVEL_PREFIX_LENGTH,
    STREET_ROLES,
    UNIT_ROLES,
    Division,
    Membership,
    Role,
)


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    division_prefixes: tuple[str, ...]  # the divisions the user belongs to, as code prefixes
    district_prefixes: tuple[str, ...]  # the districts (deployments) the user works in
    street_ids: frozenset[int]  # streets the user works for (street roles)
    unit_ids: frozenset[int]  # units the user works for (unit roles)
    is_superuser: bool = False

    @property
    def is_district(self) -> bool:
        return self.is_superuser or bool(self.roles & DISTRICT_ROLES)

    @property
    def is_street(self) -> bool:
        return bool(self.roles & STREET_ROLES)

    @property
    def is_unit(self) -> bool:
        return bool(self.roles & UNIT_ROLES)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles & set(roles))

    def code_q(self, field: str, *, district_wide: bool = False) -> Q:
        """Q matching rows whose division code (in `field`) lies in the user's territory."""
        if self.is_superuser:
            return Q()
        prefixes = self.district_prefixes if (district_wide or self.is_district) else self.division_prefixes
        if not prefixes:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


EMPTY_SCOPE = Scope(frozenset(), (), (), frozenset(), frozenset())


def scope_of(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return EMPTY_SCOPE
    cached = getattr(user, "_shaobao_scope", None)
    if cached is not None:
        return cached
    memberships = list(Membership.objects.filter(user=user).select_related("division", "unit"))
    roles = frozenset(m.role for m in memberships)
    division_prefixes = tuple(sorted({m.division.prefix for m in memberships}))
    district_prefixes = tuple(
        sorted({m.division.code[: LEVEL_PREFIX_LENGTH["district"]] for m in memberships})
    )
    street_ids = frozenset(
        m.division_id
        for m in memberships
        if m.role in STREET_ROLES | {Role.RESIDENT} and m.division.level == "street"
    )
    unit_ids = frozenset(m.unit_id for m in memberships if m.unit_id and m.role in UNIT_ROLES | STREET_ROLES)
    scope = Scope(roles, division_prefixes, district_prefixes, street_ids, unit_ids, user.is_superuser)
    user._shaobao_scope = scope
    return scope


def district_of(user) -> Division | None:
    scope = scope_of(user)
    if not scope.district_prefixes:
        return (
            Division.objects.filter(level="district").order_by("code").first() if scope.is_superuser else None
        )
    return Division.objects.filter(code=Division.full_code(scope.district_prefixes[0])).first()


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
    from shaobao.org.models import Unit

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
