"""The reporter's name and phone: masked for everyone, unmasked on request only for the roles that must
call the resident back (street dispatcher, district coordinator, administrator); each unmasking is logged
in `core.PersonalDataAccess` and as an audit event.
"""

from __future__ import annotations

from django.db import transaction

from shaobao.core import audit
from shaobao.core.errors import Forbidden
from shaobao.core.models import PersonalDataAccess
from shaobao.intake import people
from shaobao.intake.models import Demand


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return digits[:1] + "*" * (len(digits) - 1)


def may_reveal(user, demand: Demand) -> bool:
    """Only those who must call the resident: the demand's street dispatcher, the district's
    coordinators and administrators."""
    if getattr(user, "is_superuser", False):
        return True
    if people.acts_for_street(user, demand.street, {"street_dispatcher"}):
        return True
    return people.decides_in_district(user, demand.street)


def reporter_for(user, demand: Demand, *, reveal: bool = False, purpose: str = "callback") -> dict:
    """{"name", "phone", "masked"}; reveal=True unmasks (allowed roles only) and logs the access."""
    masked = {
        "name": mask_name(demand.reporter_name),
        "phone": mask_phone(demand.reporter_phone),
        "masked": True,
        "may_reveal": may_reveal(user, demand),
    }
    if not reveal:
        return masked
    if not masked["may_reveal"]:
        raise Forbidden("您无权查看报告人信息 / You may not see the reporter's details")
    with transaction.atomic():
        PersonalDataAccess.objects.create(
            user=user,
            subject_type=Demand._meta.label_lower,
            subject_id=demand.pk,
            fields="reporter_name,reporter_phone",
            purpose=purpose[:100],
        )
        audit.record(demand, "reveal_reporter", actor=user, data={"purpose": purpose[:100]})
    return {
        "name": demand.reporter_name,
        "phone": demand.reporter_phone,
        "masked": False,
        "may_reveal": True,
    }
