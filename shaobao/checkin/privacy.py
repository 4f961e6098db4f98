"""A checked-in member's name and phone are personal data.

Like a reporter's (`intake.privacy`): the phone is masked for everyone in lists; the community's managers
(its street's dispatcher and leader, its committee, the district) may unmask it on request, and each
unmasking is logged in `core.PersonalDataAccess` and as an audit event. The name is shown to those managers
and to the member; every other role (a unit's staff, a grid worker, another member) sees it masked.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q

from shaobao.checkin.access import may_manage, reach
from shaobao.checkin.models import MemberCheckin
from shaobao.core import audit
from shaobao.core.errors import Forbidden
from shaobao.core.models import PersonalDataAccess
from shaobao.intake.privacy import mask_name, mask_phone

__all__ = [
    "mask_name",
    "mask_phone",
    "may_reveal",
    "member_contact",
    "person_search",
    "phone_digits",
    "shows_name",
]


def may_reveal(user, member: MemberCheckin) -> bool:
    return may_manage(user, member.community)


def _manager_q(user) -> Q:
    """The members whose details this user may see (as a filter): the communities they manage."""
    r = reach(user)
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    for prefix in r.district_prefixes:
        q |= Q(street__code__startswith=prefix)
    if r.manage_street_ids:
        q |= Q(street_id__in=r.manage_street_ids)
    if r.community_ids:
        q |= Q(community_id__in=r.community_ids)
    return q


def shows_name(user, member: MemberCheckin) -> bool:
    return member.user_id == getattr(user, "pk", None) or may_reveal(user, member)


def display_name(user, member: MemberCheckin) -> str:
    return member.name if shows_name(user, member) else mask_name(member.name)


def phone_digits(term: str) -> str:
    """The digits of a search term that is a phone number or a part of one (at least 3 digits, nothing else
    but spaces, dashes and a plus), else ""."""
    term = (term or "").strip()
    digits = re.sub(r"\D", "", term)
    return digits if len(digits) >= 3 and len(digits) == len(re.sub(r"[\s\-+]", "", term)) else ""


def person_search(user, term: str) -> Q:
    """Search by name or phone, only among the members whose details the user may see, so that no other
    role can probe personal data by searching. Matching does not unmask.

    Digits match the phone's last digits (e.g. the last four) or its first ones (the whole number): a prefix
    search on `phone_tail` (the digits reversed) or on `phone`, both indexed; a term with no digit matches
    a part of the name (on PostgreSQL a trigram index serves it, migration 0002)."""
    term = (term or "").strip()
    digits = phone_digits(term)
    found = Q(pk__in=[])
    if digits:
        found |= Q(phone_tail__startswith=digits[::-1]) | Q(phone__startswith=digits)
    elif term and not re.search(r"\d", term):
        found |= Q(name__icontains=term)
    return found & _manager_q(user)


def member_contact(user, member: MemberCheckin, *, reveal: bool = False, purpose: str = "contact") -> dict:
    """{"name", "phone", "masked", "may_reveal"}; reveal=True unmasks the phone (managers only), logged."""
    allowed = may_reveal(user, member)
    own = member.user_id == getattr(user, "pk", None)
    out = {
        "name": member.name if (allowed or own) else mask_name(member.name),
        "phone": member.phone if own else mask_phone(member.phone),
        "masked": not own,
        "may_reveal": allowed and not own,
    }
    if not reveal or own:
        return out
    if not allowed:
        raise Forbidden("您无权查看该成员的联系方式 / You may not see this member's contact details")
    with transaction.atomic():
        PersonalDataAccess.objects.create(
            user=user,
            subject_type=MemberCheckin._meta.label_lower,
            subject_id=member.pk,
            fields="name,phone",
            purpose=purpose[:100],
        )
        audit.record(member, "reveal_contact", actor=user, data={"purpose": purpose[:100]})
    return {"name": member.name, "phone": member.phone, "masked": False, "may_reveal": True}
