"""The reporter's name and phone: masked for everyone, unmasked on request only for the roles that must
call the resident back (street dispatcher, district coordinator, administrator); each unmasking is logged
in `core.PersonalDataAccess` and as an audit event.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q

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


def reveal_scope(user) -> Q:
    """The demands whose reporter this user may see (the rule of `may_reveal`, as a filter): the streets
    they dispatch for, their district as coordinator or administrator; nothing for anyone else."""
    if getattr(user, "is_superuser", False):
        return Q()
    allowed = Q(pk__in=[])
    streets = people.street_ids(user, {"street_dispatcher"})
    if streets:
        allowed |= Q(street_id__in=streets)
    prefixes = people.district_prefixes(user)
    for prefix in prefixes:
        allowed |= Q(street__code__startswith=prefix)
    if prefixes:
        allowed |= Q(street__isnull=True)  # not yet placed: any district decider (see decides_in_district)
    return allowed


def reporter_search(user, term: str) -> Q:
    """Search by the caller's name or phone (a part, e.g. the last four digits), limited to the demands
    whose reporter the user may see, so that other roles cannot probe personal data by searching.
    Matching does not unmask: the list still shows masked values, and revealing stays logged."""
    term = (term or "").strip()
    digits = re.sub(r"\D", "", term)
    found = Q(pk__in=[])
    if len(digits) >= 3 and len(digits) == len(re.sub(r"[\s\-+]", "", term)):
        found |= Q(reporter_phone__contains=digits)
    elif term and not digits:
        found |= Q(reporter_name__icontains=term)
    return found & reveal_scope(user)


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


# --- contact data in free text (staff replies shown to the public) ----------------------------------

_SEP = r"[\s\-\u2010-\u2015.·]?"  # one optional space, hyphen (ASCII or typographic), dot or middle dot
# A mobile number, with or without the country code, written in one run or in 3-4-4 groups:
# 13811112222, 138-1111-2222, 138 1111 2222, +86 138 1111 2222, 0086-13811112222, (+86)13811112222.
_MOBILE = (
    r"(?:(?:\+|00)?[(（]?\+?86[)）]?" + _SEP + r")?"
    r"1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}"
)
# A landline with its area code (010, 0571 …), in brackets or not, the number in one run or split,
# with an optional extension: 010-69961234, (010)69961234, （010）6996-1234, 0106996 1234, 010-6996 1234-801.
_LANDLINE = (
    r"(?:(?:\+|00)?86" + _SEP + r")?"
    r"(?:[(（]0\d{2,3}[)）]|0\d{2,3})" + _SEP + r"[2-9]\d{2,3}" + _SEP + r"\d{4}"
    r"(?:\s?(?:-|转|ext\.?|x)\s?\d{1,5})?"
)
# A local number without area code is only masked after a word that says it is one (电话 69961234).
_LOCAL_AFTER_WORD = (
    r"(电话|手机|座机|联系|号码|热线|[Tt]el|TEL|[Pp]hone)"
    r"([:：\s]{0,2})([2-9]\d{2,3}" + _SEP + r"\d{4})"
)
_EDGE_BEFORE = r"(?<![\dA-Za-z+])"
_EDGE_AFTER = r"(?!\d)"
PHONE_RE = re.compile(_EDGE_BEFORE + r"(?:" + _MOBILE + r"|" + _LANDLINE + r")" + _EDGE_AFTER)
LOCAL_PHONE_RE = re.compile(_LOCAL_AFTER_WORD + _EDGE_AFTER)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|＠)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Resident identity card numbers: 18 characters (last may be X), and the old 15-digit form.
ID_RE = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")


def _mask_run(text: str) -> str:
    """Keep the first three and last two digits of a phone number written in any layout."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    keep = set(digits[:3] + digits[-2:]) if len(digits) >= 9 else set(digits[:1])
    return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(text))


def _mask_email(match: re.Match) -> str:
    local = match.group(0).replace("＠", "@").split("@", 1)[0]
    return f"{local[:1]}***@***"


def scrub_contacts(text: str) -> str:
    """Mask every phone number (mobile or landline, any spacing or hyphens, with or without +86),
    e-mail address and identity card number in free text. Dates, amounts, room numbers and tracking
    codes are left as they are."""
    if not text:
        return ""
    text = EMAIL_RE.sub(_mask_email, text)
    text = ID_RE.sub(lambda m: "*" * len(m.group(0)), text)
    text = PHONE_RE.sub(lambda m: _mask_run(m.group(0)), text)
    return LOCAL_PHONE_RE.sub(lambda m: m.group(1) + m.group(2) + _mask_run(m.group(3)), text)


def scrub_personal_data(text: str, demand: Demand) -> str:
    """Replies are written by staff: remove the reporter's name and phone, and any phone number,
    e-mail address or identity card number (see `scrub_contacts`)."""
    text = text or ""
    if demand.reporter_phone:
        text = text.replace(demand.reporter_phone, mask_phone(demand.reporter_phone))
    if demand.reporter_name and len(demand.reporter_name) >= 2:
        text = text.replace(demand.reporter_name, mask_name(demand.reporter_name))
    return scrub_contacts(text)
