"""Who a user acts for, and who must hear about something: membership look-ups for the workflow.

`org.scoping.Scope` answers "what may this user see"; the workflow also needs "in which role": a
street dispatcher acts for a street, a unit handler for a unit, a coordinator for a district. These
helpers read the memberships once per user object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from shaobao.org import acting
from shaobao.org.models import LEVEL_PREFIX_LENGTH, Division, Membership, Role

TRIAGE_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
STREET_STAFF_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER, Role.GRID_WORKER})
UNIT_STAFF_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})
DISTRICT_DECIDERS = frozenset({Role.DISTRICT_COORDINATOR, Role.ADMINISTRATOR})
PRIVACY_ROLES = frozenset({Role.STREET_DISPATCHER, Role.DISTRICT_COORDINATOR, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Seat:
    role: str
    division_id: int
    division_code: str
    division_level: str
    street_id: int | None  # the street of a street- or community-level membership
    unit_id: int | None


def seats(user) -> tuple[Seat, ...]:
    """The user's memberships (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, "_shaobao_seats", None)
    if cached is not None:
        return cached
    # One plain SELECT (this runs on every API request; building the ORM query cost more than running it).
    sql = (
        f"SELECT m.role, d.id, d.code, d.level, d.parent_id, m.unit_id FROM {Membership._meta.db_table} m "
        f"JOIN {Division._meta.db_table} d ON d.id = m.division_id WHERE m.user_id = %s ORDER BY m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    # A user in several districts acts in one of them per request (org.acting).
    chosen = acting.resolve(user, [(r[2], r[3]) for r in rows])
    rows = [r for r in rows if acting.keeps(chosen, r[2], r[3])]
    out = []
    for role, division_id, code, level, parent_id, unit_id in rows:
        street_id = division_id if level == "street" else (parent_id if level == "community" else None)
        out.append(Seat(role, division_id, code, level, street_id, unit_id))
    result = tuple(out)
    user._shaobao_seats = result
    return result


def has_role(user, roles: Iterable[str]) -> bool:
    roles = set(roles)
    return bool(getattr(user, "is_superuser", False)) or any(s.role in roles for s in seats(user))


def street_ids(user, roles: Iterable[str] = TRIAGE_ROLES) -> set[int]:
    roles = set(roles)
    return {s.street_id for s in seats(user) if s.role in roles and s.street_id}


def unit_ids(user, roles: Iterable[str] = UNIT_STAFF_ROLES) -> set[int]:
    roles = set(roles)
    return {s.unit_id for s in seats(user) if s.role in roles and s.unit_id}


def district_prefixes(user, roles: Iterable[str] = DISTRICT_DECIDERS) -> set[str]:
    roles = set(roles)
    n = LEVEL_PREFIX_LENGTH["district"]
    return {s.division_code[:n] for s in seats(user) if s.role in roles}


def acts_for_street(user, street: Division | None, roles: Iterable[str] = TRIAGE_ROLES) -> bool:
    return street is not None and street.pk in street_ids(user, roles)


def decides_in_district(user, division: Division | None) -> bool:
    """District coordinators and administrators decide for every street of their district."""
    if getattr(user, "is_superuser", False):
        return True
    if division is None:
        # Not yet placed: any district decider may take it (one deployment serves one district).
        return bool(district_prefixes(user))
    return division.code[: LEVEL_PREFIX_LENGTH["district"]] in district_prefixes(user)


def acts_for_unit(user, unit_id: int | None) -> bool:
    return unit_id is not None and unit_id in unit_ids(user)


# --- recipients ---------------------------------------------------------------------------------


def street_staff(street_id: int | None, roles: Iterable[str] = (Role.STREET_DISPATCHER,)) -> list[int]:
    if not street_id:
        return []
    return list(
        Membership.objects.filter(division_id=street_id, role__in=list(roles), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def unit_staff(unit_ids_: Iterable[int], roles: Iterable[str] = UNIT_STAFF_ROLES) -> list[int]:
    ids = [u for u in unit_ids_ if u]
    if not ids:
        return []
    return list(
        Membership.objects.filter(unit_id__in=ids, role__in=list(roles), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def coordinators(division: Division | None) -> list[int]:
    """The district coordinators of the district a division belongs to."""
    qs = Membership.objects.filter(role=Role.DISTRICT_COORDINATOR, user__is_active=True)
    if division is not None:
        qs = qs.filter(division__code__startswith=division.code[: LEVEL_PREFIX_LENGTH["district"]])
    return list(qs.values_list("user_id", flat=True).distinct())
