"""Writes through Open311: receiving a service request, and a client's update (a resident's follow-up).

Receiving: the form's fields → `intake.actions.do_receive_demand` (same validation, placement, audit and
notifications as every channel), in one transaction with the `Open311Request` record of what a demand has
no field for (service code asked for, validated attributes, address_id, media_url). The channel is
`resident_web` (Open311 clients are residents' apps); the subject is the service's name, so the public view
never shows what the resident typed; the body is the description, then the attributes' values (so the
dispatcher reads them on the demand), then the media URL. The service's matter is set on the demand even
when the point cannot be placed (an address only): the client chose it. `email` is not stored.

A media URL is fetched by the worker (`tasks.fetch_media`) after commit and kept as a photo of the demand.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_noop as N_

from shaobao.api.models_open311 import MediaState, Open311Request, Open311Token
from shaobao.api.open311 import attributes as attrs
from shaobao.api.open311 import tasks
from shaobao.api.open311.errors import Open311Error
from shaobao.api.open311.selectors import UNCLASSIFIED, attributes_of, service_matter
from shaobao.core import audit
from shaobao.core.errors import ValidationFailed
from shaobao.core.models import Event
from shaobao.core.notifications import msg, notify_on_commit
from shaobao.intake import actions as intake
from shaobao.intake import people
from shaobao.intake.codes import normalise
from shaobao.intake.models import Channel, Demand, DemandKind
from shaobao.org.models import Division, Grid

# Open311 field names for the intake's, so that an error names what the client sent.
FIELD_NAMES = {"body": "description", "reporter_name": "first_name", "reporter_phone": "phone"}
FIELD_NAMES |= {"address": "address_string", "lat": "lat", "lng": "long", "street_code": "address_id"}
FIELD_NAMES |= {"community_code": "address_id", "grid_code": "address_id"}
MAX_DESCRIPTION = 4000  # the spec's limit
FOLLOW_UP = "resident_follow_up"
UNCLASSIFIED_NAME = N_("Not yet classified")


def _default_language(text: str) -> str:
    """A subject is stored in the default language, like the matters' names."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text)


def _coordinate(value, name: str) -> float | None:
    if value is None or not str(value).strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationFailed("bad coordinate", fields={name: "must be a number"}) from None


def reporter_name(first: str, last: str) -> str:
    first, last = (first or "").strip(), (last or "").strip()
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"  # Chinese order: family name first, no space


def place_for_address_id(district: Division, address_id: str) -> dict:
    """`address_id` is a code of our own "master address repository": a community's or a street's
    division code (12 digits, short forms allowed) or a grid's code, inside the jurisdiction. → the
    intake's place arguments: the street's code, and the community's or the grid's when it named one
    (the demand is placed there, not only in its street)."""
    code = address_id.strip()
    grid = Grid.objects.select_related("community__parent").filter(code=code).first()
    place: dict = {}
    if grid is not None and grid.community is not None:
        street = grid.community.parent
        place["grid_code"] = grid.code
    else:
        found = (
            Division.objects.filter(code=Division.full_code(code), level__in=["street", "community"])
            .select_related("parent")
            .first()
            if code.isdigit()
            else None
        )
        street = found if found is None or found.level == "street" else found.parent
        if found is not None and found.level == "community":
            place["community_code"] = found.code
    if street is None or street.parent_id != district.pk:
        raise ValidationFailed(
            "unknown address_id", fields={"address_id": f"{code} not found in the district"}
        )
    return {"street_code": street.code, **place}


def validate_request(
    *,
    district: Division,
    service_code: str,
    lat=None,
    long=None,
    address_string: str = "",
    address_id: str = "",
    description: str = "",
    media_url: str = "",
    attributes: dict[str, list[str]] | None = None,
) -> dict:
    """What can be checked before anything is written (also before an asynchronous creation is queued):
    the service, the location, the attributes, the media URL's form. Returns the derived values."""
    if not service_code:
        raise Open311Error(400, "service_code is required")
    matter = service_matter(district, service_code)
    errors: dict[str, str] = {}
    lat_f = lng_f = None
    try:
        lat_f = _coordinate(lat, "lat")
        lng_f = _coordinate(long, "long")
    except ValidationFailed as exc:
        errors |= exc.fields
    place: dict = {}
    if address_id.strip():
        try:
            place = place_for_address_id(district, address_id)
        except ValidationFailed as exc:
            errors |= exc.fields
    if not errors and (lat_f is None or lng_f is None) and not address_string.strip() and not place:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if len(description or "") > MAX_DESCRIPTION:
        errors["description"] = f"at most {MAX_DESCRIPTION} characters"
    media_url = (media_url or "").strip()
    if media_url:
        from shaobao.api.open311.media import MediaRefused, check_url

        try:
            check_url(media_url)
        except MediaRefused as exc:
            errors["media_url"] = str(exc)
    definition = attributes_of(service_code) if service_code != UNCLASSIFIED else []
    try:
        cleaned = attrs.clean(definition, attributes or {})
    except ValidationFailed as exc:
        errors |= exc.fields
        cleaned = {}
    if errors:
        raise ValidationFailed("the request is not valid", fields=errors)
    return {
        "matter": matter,
        "lat": lat_f,
        "lng": lng_f,
        "place": place,
        "attributes": cleaned,
        "definition": definition,
        "media_url": media_url,
    }


def do_receive_request(
    *,
    actor,
    district: Division,
    service_code: str,
    lat=None,
    long=None,
    address_string: str = "",
    address_id: str = "",
    description: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    attributes: dict[str, list[str]] | None = None,
    idempotency_key: str | None = None,
    token: str | None = None,
) -> Demand:
    v = validate_request(
        district=district,
        service_code=service_code,
        lat=lat,
        long=long,
        address_string=address_string,
        address_id=address_id,
        description=description,
        media_url=media_url,
        attributes=attributes,
    )
    matter = v["matter"]
    name = matter.name if matter is not None else _default_language(UNCLASSIFIED_NAME)
    body = (description or "").strip() or name
    described = attrs.describe(v["definition"], v["attributes"])
    if described:
        body = f"{body}\n\n{described}"
    if v["media_url"]:
        body = f"{body}\n\nmedia_url: {v['media_url']}"
    with transaction.atomic():
        demand = intake.do_receive_demand(
            actor=actor,
            channel=Channel.RESIDENT_WEB,
            kind=DemandKind.COMPLAINT,
            subject=name,
            body=body,
            reporter_name=reporter_name(first_name, last_name),
            reporter_phone=phone,
            address=address_string,
            lat=v["lat"],
            lng=v["lng"],
            urgency=matter.default_urgency if matter is not None else "normal",
            **v["place"],
            idempotency_key=idempotency_key,
            matter_code=matter.code if matter is not None else None,
        )
        if getattr(demand, "replayed", False):
            return demand
        if matter is not None and demand.matter_id is None:
            Demand.objects.filter(pk=demand.pk).update(matter=matter)
            demand.matter = matter
        record = Open311Request.objects.create(
            demand=demand,
            service_code=service_code,
            attributes=v["attributes"],
            address_id=address_id.strip(),
            media_url=v["media_url"],
            media_state=MediaState.PENDING if v["media_url"] else MediaState.NONE,
            token=token,
            created_by=actor,
        )
        if record.media_url:
            transaction.on_commit(lambda: tasks.fetch_media(record.pk))
    return demand


# --- asynchronous creation (`Prefer: respond-async`) ---------------------------------------------

ASYNC_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "first_name",
    "last_name",
    "phone",
    "media_url",
    "attributes",
    "idempotency_key",
)


def do_accept_request(*, actor, district: Division, **fields) -> Open311Token:
    """Check what can be checked now, keep the form and queue its creation; the token answers
    `GET /tokens/{token}`."""
    validate_request(
        district=district,
        **{
            k: fields.get(k) or ("" if k not in ("lat", "long", "attributes") else None)
            for k in (
                "service_code",
                "lat",
                "long",
                "address_string",
                "address_id",
                "description",
                "media_url",
                "attributes",
            )
        },
    )
    payload = {k: fields.get(k) for k in ASYNC_FIELDS if fields.get(k) not in (None, "")}
    payload["district_id"] = district.pk
    with transaction.atomic():
        token = Open311Token.objects.create(token=secrets.token_hex(12), created_by=actor, payload=payload)
        transaction.on_commit(lambda: tasks.create_from_token(token.pk))
    return token


def do_create_from_token(token_id: int) -> Open311Token:
    """The worker's half: create the request from the kept form; the form is then forgotten."""
    with transaction.atomic():
        token = Open311Token.objects.select_for_update().select_related("created_by").get(pk=token_id)
        if token.demand_id or token.error:
            return token
        payload = dict(token.payload)
        district = Division.objects.get(pk=payload.pop("district_id"))
        try:
            with transaction.atomic():
                demand = do_receive_request(
                    actor=token.created_by, district=district, token=token.token, **payload
                )
        except (Open311Error, ValidationFailed) as exc:
            fields = getattr(exc, "fields", None) or {}
            token.error = "; ".join(f"{k}: {v}" for k, v in fields.items()) or getattr(
                exc, "description", str(exc)
            )
        else:
            token.demand = demand
        token.payload = {}
        token.save(update_fields=["demand", "error", "payload"])
    return token


# --- a client's update: the resident's follow-up ---------------------------------------------------


def do_post_update(
    *,
    actor,
    service_request_id: str,
    description: str,
    client_update_id: str = "",
    status: str = "",
    media_url: str = "",
    updated_datetime: str = "",
) -> tuple[int, bool]:
    """Record a resident's follow-up ("still broken") on the demand's timeline, for its street's
    dispatchers (the district's coordinators while it has no street), who get a bell notification.
    Nothing changes state: reopening is the dispatcher's decision. The same client update id sent again
    answers the first one's id. Returns (update id, created)."""
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "required"
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"at most {MAX_DESCRIPTION} characters"
    if status and status.strip().upper() not in ("OPEN", "CLOSED", "FIXED", "REOPEN", "IN_PROGRESS"):
        errors["status"] = "open or closed"
    if len(client_update_id or "") > 100:
        errors["update_id"] = "at most 100 characters"
    if errors:
        raise ValidationFailed("the update is not valid", fields=errors)
    code = normalise(service_request_id or "")
    if not Demand.objects.filter(tracking_code=code).exists():
        raise Open311Error(404, f"service_request_id {service_request_id} not found")
    with transaction.atomic():
        demand = (
            Demand.objects.select_for_update(of=("self",)).select_related("street").get(tracking_code=code)
        )
        if client_update_id:
            earlier = earlier_follow_up(demand, actor, client_update_id)
            if earlier is not None:
                return earlier, False
        event = audit.record(
            demand,
            FOLLOW_UP,
            actor=actor,
            note=description,
            data={
                "channel": "open311",
                "client_update_id": client_update_id or "",
                "client_status": (status or "").strip().upper(),
                "client_datetime": (updated_datetime or "").strip()[:40],
                "media_url": (media_url or "").strip()[:1000],
            },
        )
        recipients = people.street_staff(demand.street_id)
        if not recipients:
            district = demand.street.parent if demand.street_id else None
            recipients = people.coordinators(district)
        notify_on_commit(
            recipients,
            msg(
                N_("Resident follow-up on demand %(code)s: %(text)s"),
                code=demand.tracking_code,
                text=description[:80],
            ),
            intake.demand_url(demand),
            email=False,
        )
    return event.pk, True


def earlier_follow_up(demand: Demand, actor, client_update_id: str) -> int | None:
    found = (
        Event.objects.filter(
            subject_type=Demand._meta.label_lower,
            subject_id=demand.pk,
            action=FOLLOW_UP,
            actor=actor,
            data__client_update_id=client_update_id,
        )
        .values_list("pk", flat=True)
        .first()
    )
    return found


tasks.set_creator(do_create_from_token)
