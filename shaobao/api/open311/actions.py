"""Receiving an Open311 service request: the form's fields → `intake.actions.do_receive_demand`.

The channel is `resident_web` (Open311 clients are residents' apps; the channel list is a set of choices
and a new one would need a migration). The subject is the service's name, so the public view of the
request never shows what the resident typed; the description is the body. `email` and `media_url` have
no place on a demand: the media URL is kept in the body as text (never fetched), the email is dropped.
"""

from __future__ import annotations

from shaobao.api.open311.errors import Open311Error
from shaobao.api.open311.selectors import service_matter
from shaobao.intake import actions as intake
from shaobao.intake.models import Channel, Demand, DemandKind
from shaobao.org.models import Division

# Open311 field names for the intake's, so that an error names what the client sent.
FIELD_NAMES = {"body": "description", "reporter_name": "first_name", "reporter_phone": "phone"}
FIELD_NAMES |= {"address": "address_string", "lat": "lat", "lng": "long"}


def _coordinate(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


def reporter_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"  # Chinese order: family name first, no space


def do_receive_request(
    *,
    actor,
    district: Division,
    service_code: str,
    lat: str | None = None,
    long: str | None = None,
    address_string: str = "",
    description: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    idempotency_key: str | None = None,
) -> Demand:
    if not service_code:
        raise Open311Error(400, "service_code is required")
    matter = service_matter(district, service_code)
    lat_f, lng_f = _coordinate(lat, "lat"), _coordinate(long, "long")
    if (lat_f is None or lng_f is None) and not address_string.strip():
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    body = description.strip() or matter.name
    if media_url.strip():
        body = f"{body}\n\nmedia_url: {media_url.strip()}"
    return intake.do_receive_demand(
        actor=actor,
        channel=Channel.RESIDENT_WEB,
        kind=DemandKind.COMPLAINT,
        subject=matter.name,
        body=body,
        reporter_name=reporter_name(first_name, last_name),
        reporter_phone=phone,
        address=address_string,
        lat=lat_f,
        lng=lng_f,
        urgency=matter.default_urgency,
        idempotency_key=idempotency_key,
        matter_code=matter.code,
    )
