"""Who may do what in task admission, by organisation.

- The catalogue: every staff member of the district reads it (streets, units, the district).
- Admission requests: a department's handlers and leaders file them for their own unit and see their unit's;
  the district's coordinators (and administrators) see every request of the district and decide.
- Not-admitted marks: a street's dispatchers and leaders mark tasks received by the communities of their
  street and see those marks; the department concerned (its handlers and leaders) sees the marks about it
  and acknowledges them; the district sees all of them.

Objects outside the user's organisation are NotFound (their existence is not revealed).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shaobao.admission.models import AdmissionRequest, CatalogueEntry, NotAdmittedMark
from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import people
from shaobao.org.access import require_staff
from shaobao.org.models import LEVEL_PREFIX_LENGTH, Division, Role, Unit
from shaobao.org.scoping import district_of, scope_of

MARKING_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})


def _forbid(zh: str, en: str) -> Forbidden:
    return Forbidden(f"{zh} / {en}")


def user_district(user) -> Division:
    """The district whose catalogue the user works with (one deployment serves one district)."""
    require_staff(user)
    district = district_of(user)
    if district is None:
        raise _forbid("您不属于任何区县", "You do not work in any district")
    return district


def is_district_decider(user, district: Division) -> bool:
    """District coordinators and administrators of that district (and superusers) decide requests."""
    if getattr(user, "is_superuser", False):
        return True
    return district.prefix in people.district_prefixes(user)


def filing_units(user) -> QuerySet:
    """Active units the user may file admission requests for: those they handle or lead."""
    units = Unit.objects.filter(is_active=True)
    if getattr(user, "is_superuser", False):
        return units.order_by("code")
    return units.filter(pk__in=people.unit_ids(user)).order_by("code")


def marking_communities(user) -> QuerySet:
    """Communities whose received tasks the user may mark: those of the streets they dispatch or lead."""
    communities = Division.objects.filter(level="community")
    if getattr(user, "is_superuser", False):
        return communities.order_by("code")
    streets = Division.objects.filter(pk__in=people.street_ids(user, MARKING_ROLES))
    q = Q(pk__in=[])
    for street in streets:
        q |= Q(code__startswith=street.prefix)
    return communities.filter(q).order_by("code")


def _district_q(user, field: str) -> Q:
    prefixes = people.district_prefixes(user)
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


# --- lists --------------------------------------------------------------------------------------------


def catalogue_visible_to(user) -> QuerySet:
    scope = scope_of(user)
    entries = CatalogueEntry.objects.all()
    if scope.is_superuser:
        return entries
    if not scope.roles:
        return entries.none()
    return entries.filter(scope.code_q("district__code", district_wide=True))


def may_see_requests(user) -> bool:
    return getattr(user, "is_superuser", False) or people.has_role(
        user, people.DISTRICT_DECIDERS | people.UNIT_STAFF_ROLES
    )


def requests_visible_to(user) -> QuerySet:
    qs = AdmissionRequest.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(_district_q(user, "district__code") | Q(unit_id__in=people.unit_ids(user)))


def marks_visible_to(user) -> QuerySet:
    qs = NotAdmittedMark.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    q = _district_q(user, "community__code") | Q(unit_id__in=people.unit_ids(user))
    for street in Division.objects.filter(pk__in=people.street_ids(user, people.STREET_STAFF_ROLES)):
        q |= Q(community__code__startswith=street.prefix)
    return qs.filter(q)


# --- one object ---------------------------------------------------------------------------------------


def access_request(user, request_id: int) -> AdmissionRequest:
    require_staff(user)
    found = requests_visible_to(user).select_related("district", "unit").filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"准入申请 {request_id} 不存在 / Admission request {request_id} not found")
    return found


def access_mark(user, mark_id: int) -> NotAdmittedMark:
    require_staff(user)
    found = marks_visible_to(user).select_related("community", "unit", "entry").filter(pk=mark_id).first()
    if found is None:
        raise NotFound(f"未准入标记 {mark_id} 不存在 / Mark {mark_id} not found")
    return found


def access_community(user, code: str) -> Division:
    """A community of the user's district (for the per-community catalogue)."""
    require_staff(user)
    full = Division.full_code(code or "")
    found = Division.objects.visible_to(user).filter(code=full, level="community").first()
    if found is None:
        raise NotFound(f"社区 {code} 不存在 / Community {code} not found")
    return found


def district_of_division(division: Division) -> Division | None:
    return Division.objects.filter(
        code=Division.full_code(division.code[: LEVEL_PREFIX_LENGTH["district"]]), level="district"
    ).first()
