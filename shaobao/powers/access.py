"""Who may see and do what with delegated powers and the street's powers.

- The list of delegated powers is managed (created, edited, withdrawn, imported) by the district: its
  coordinators and administrators. District roles see every power of their district; a street sees the
  powers delegated to it; a unit sees the powers delegated from it.
- Proposals on handling are filed by the street's dispatchers and leaders, urge notes by its leaders only;
  the summoned unit answers both.
- Recommendations on stationed staff are filed by the street's dispatchers and leaders; the department
  (its handlers and leaders) answers.
Objects outside a user's organisation are NotFound (their existence is not revealed).
"""

from __future__ import annotations

from django.db.models import Q

from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import people
from shaobao.org.access import require_member, require_staff
from shaobao.org.models import LEVEL_PREFIX_LENGTH, Division, Role
from shaobao.org.scoping import district_of, scope_of
from shaobao.powers.models import DelegatedPower, Recommendation, StationedStaff, StreetNote

STREET_FILERS = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
URGERS = frozenset({Role.STREET_LEADER})


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} not found") from None


def district_prefix(division: Division) -> str:
    return division.code[: LEVEL_PREFIX_LENGTH["district"]]


def manages_powers(user, district: Division | None = None) -> bool:
    """District coordinators and administrators manage their district's list (superusers any)."""
    if getattr(user, "is_superuser", False):
        return True
    prefixes = people.district_prefixes(user)
    if district is None:
        return bool(prefixes)
    return district_prefix(district) in prefixes


def require_manager(user, district: Division | None = None) -> None:
    require_member(user)
    if not manages_powers(user, district):
        raise Forbidden(
            "只有区级统筹人员可以管理赋权清单 / Only the district manages the list of delegated powers"
        )


def managed_district(user, district_code: str | None = None) -> Division:
    """The district whose list the user manages: their own (or, for a superuser, the one named)."""
    require_member(user)
    district = None
    if district_code:
        district = Division.objects.filter(code=Division.full_code(district_code), level="district").first()
        if district is None:
            from shaobao.core.errors import ValidationFailed

            raise ValidationFailed("区县不存在 / Unknown district", fields={"district": "invalid"})
    district = district or district_of(user)
    if district is None:
        raise Forbidden("您不属于任何区县 / You belong to no district")
    require_manager(user, district)
    return district


def powers_visible_to(user):
    """District roles: their district's powers; street staff: powers delegated to their streets; unit
    staff: powers delegated from their units."""
    qs = DelegatedPower.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    scope = scope_of(user)
    q = Q(pk__in=[])
    for prefix in people.district_prefixes(user):
        q |= Q(district__code__startswith=prefix)
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if streets:
        q |= Q(
            pk__in=DelegatedPower.streets.through.objects.filter(division_id__in=streets).values(
                "delegatedpower_id"
            )
        )
    if scope.unit_ids:
        q |= Q(department_id__in=people.unit_ids(user))
    return qs.filter(q)


def access_power(user, power_id) -> DelegatedPower:
    require_staff(user)
    power = (
        powers_visible_to(user)
        .select_related("district", "department")
        .filter(pk=_pk(power_id, "Power"))
        .first()
    )
    if power is None:
        raise NotFound(f"赋权事项 {power_id} 不存在 / Delegated power {power_id} not found")
    return power


# --- street notes --------------------------------------------------------------------------------------


def notes_visible_to(user):
    """Street staff: their streets' notes; unit staff: the notes to their units; district: all of it."""
    qs = StreetNote.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    q = Q(pk__in=[])
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if streets:
        q |= Q(street_id__in=streets)
    units = people.unit_ids(user)
    if units:
        q |= Q(unit_id__in=units)
    for prefix in people.district_prefixes(user):
        q |= Q(street__code__startswith=prefix)
    return qs.filter(q)


def access_note(user, note_id) -> StreetNote:
    require_staff(user)
    note = (
        notes_visible_to(user)
        .select_related("street", "unit", "summons", "summons__whistle", "author")
        .filter(pk=_pk(note_id, "Note"))
        .first()
    )
    if note is None:
        raise NotFound(f"意见 {note_id} 不存在 / Note {note_id} not found")
    return note


# --- stationed staff and recommendations ----------------------------------------------------------


def _department_ids(user) -> set[int]:
    return people.unit_ids(user)


def staff_visible_to(user):
    """Street staff: their streets' stationed staff; a department: the staff it stationed; district: all."""
    qs = StationedStaff.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    q = Q(pk__in=[])
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if streets:
        q |= Q(street_id__in=streets)
    units = _department_ids(user)
    if units:
        q |= Q(department_id__in=units)
    for prefix in people.district_prefixes(user):
        q |= Q(street__code__startswith=prefix)
    return qs.filter(q)


def recommendations_visible_to(user):
    qs = Recommendation.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    q = Q(pk__in=[])
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if streets:
        q |= Q(street_id__in=streets)
    units = _department_ids(user)
    if units:
        q |= Q(department_id__in=units)
    for prefix in people.district_prefixes(user):
        q |= Q(street__code__startswith=prefix)
    return qs.filter(q)


def access_staff(user, staff_id) -> StationedStaff:
    require_staff(user)
    staff = (
        staff_visible_to(user)
        .select_related("street", "department")
        .filter(pk=_pk(staff_id, "Staff"))
        .first()
    )
    if staff is None:
        raise NotFound(f"派驻人员 {staff_id} 不存在 / Stationed staff member {staff_id} not found")
    return staff


def access_recommendation(user, rec_id) -> Recommendation:
    require_staff(user)
    rec = (
        recommendations_visible_to(user)
        .select_related("staff", "street", "department", "filed_by")
        .filter(pk=_pk(rec_id, "Recommendation"))
        .first()
    )
    if rec is None:
        raise NotFound(f"任免建议 {rec_id} 不存在 / Recommendation {rec_id} not found")
    return rec
