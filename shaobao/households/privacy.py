"""The head of household's name and phone are personal data.

Like a reporter's (`intake.privacy`): masked for everyone in lists and in the API; the street's dispatchers
and leaders and the grid's workers may unmask one household's contact on request, and each unmasking is
logged in `core.PersonalDataAccess` and as an audit event. A joint-defence group's lead sees them masked.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q

from shaobao.core import audit
from shaobao.core.errors import Forbidden
from shaobao.core.models import PersonalDataAccess
from shaobao.households.access import may_reveal, reach
from shaobao.households.models import Household
from shaobao.intake.privacy import mask_name, mask_phone

__all__ = ["contact", "mask_name", "mask_phone", "search_q"]


def contact(user, household: Household, *, reveal: bool = False, purpose: str = "contact") -> dict:
    """{"name", "phone", "masked", "may_reveal"}; reveal=True unmasks (street staff and grid workers), logged."""
    allowed = may_reveal(user, household)
    if not reveal:
        return {
            "name": mask_name(household.head_name),
            "phone": mask_phone(household.head_phone),
            "masked": True,
            "may_reveal": allowed,
        }
    if not allowed:
        raise Forbidden("您无权查看该户的联系方式 / You may not see this household's contact details")
    with transaction.atomic():
        PersonalDataAccess.objects.create(
            user=user,
            subject_type=Household._meta.label_lower,
            subject_id=household.pk,
            fields="head_name,head_phone",
            purpose=purpose[:100],
        )
        audit.record(household, "reveal_contact", actor=user, data={"purpose": purpose[:100]})
    return {"name": household.head_name, "phone": household.head_phone, "masked": False, "may_reveal": True}


def search_q(user, term: str) -> Q:
    """Search by address, or by the head's name or phone (a part, e.g. the last four digits) only among the
    households whose contacts the user may unmask, so that a group lead cannot probe them. Matching does not
    unmask."""
    term = (term or "").strip()
    if not term:
        return Q()
    found = Q(address__icontains=term)
    r = reach(user)
    revealable = Q()
    if not r.everything:
        revealable = Q(pk__in=[])
        if r.street_ids:
            revealable |= Q(street_id__in=r.street_ids)
        if r.grid_ids:
            revealable |= Q(grid_id__in=r.grid_ids)
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 3 and len(digits) == len(re.sub(r"[\s\-+]", "", term)):
        found |= Q(head_phone__contains=digits) & revealable
    elif not digits:
        found |= Q(head_name__icontains=term) & revealable
    return found
