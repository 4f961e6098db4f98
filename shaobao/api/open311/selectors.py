"""Reads for Open311: the duty list in force as services (with their attributes), the public view of
demands as requests, and the public steps of the tracking page as request updates.

A request shows only what the public tracking page (`intake.selectors.track`) shows: the state, the
subject and the replies scrubbed by the same `scrub_personal_data`, where it is (community, street,
district: never the typed address), the matter and the responsible unit; plus the point coarsened to
OPEN311_COARSEN_METRES (exact only for staff tokens that may see the demand) and the media URL the
Open311 client itself sent. Never the reporter's name, phone, the body or the typed address.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.api.models_open311 import LIST_DATATYPES, Open311Request, Open311Token, ServiceAttribute
from shaobao.api.open311.errors import Open311Error
from shaobao.core.models import Event
from shaobao.duties.models import Matter
from shaobao.duties.selectors import duty_list_in_force, matter_in_force
from shaobao.intake import people
from shaobao.intake.codes import normalise
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.selectors import FEED_BACK_LABEL, PUBLIC_STEPS, REPLY_STEPS, scrub_personal_data
from shaobao.org.models import Division
from shaobao.whistles.models import Summons, SummonsRole, SummonsState, Whistle

CLOSED_STATES = frozenset({DemandState.CLOSED, DemandState.CALLED_BACK, DemandState.MERGED})
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000  # the spec's default limit, and the largest page_size
UNCLASSIFIED = "unclassified"
STAFF_ROLES = people.STREET_STAFF_ROLES | people.UNIT_STAFF_ROLES | people.DISTRICT_DECIDERS
# Replies the tracking page shows on the demand's own steps (feed_back is shown from the whistle).
_DEMAND_REPLY_STEPS = REPLY_STEPS & set(PUBLIC_STEPS)


def status_of(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


def states_for(status: str) -> list[str]:
    closed = status == "closed"
    return [s for s in DemandState.values if (s in CLOSED_STATES) == closed]


def jurisdiction(code: str | None) -> Division:
    """The district named by `jurisdiction_id` (short codes allowed: 110117); without one, the only
    district with a published duty list."""
    code = (code or "").strip()
    if code:
        division = Division.objects.filter(code=code.ljust(12, "0")[:12], level="district").first()
        if division is None:
            raise Open311Error(404, f"jurisdiction_id {code} not found")
        return division
    districts = list(Division.objects.filter(level="district", duty_lists__status="published").distinct()[:2])
    if len(districts) != 1:
        raise Open311Error(400, "jurisdiction_id is required")
    return districts[0]


# --- services -----------------------------------------------------------------------------------


def _service(matter: Matter, with_attributes: set[str]) -> dict:
    return {
        "service_code": matter.code,
        "service_name": matter.name,
        "description": matter.description,
        "metadata": matter.code in with_attributes,
        "type": "realtime",
        "keywords": ",".join(str(k) for k in (matter.keywords or [])),
        "group": matter.domain.name,
    }


def unclassified_service() -> dict:
    return {
        "service_code": UNCLASSIFIED,
        "service_name": _("Not yet classified"),
        "description": _(
            "A report whose matter the street's dispatcher has not set yet; you may also report with it "
            "when no other service fits."
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": _("Other"),
    }


def services(district: Division) -> list[dict]:
    duty_list = duty_list_in_force(district)
    matters = list(duty_list.matters.select_related("domain").order_by("code")) if duty_list else []
    with_attributes = set(
        ServiceAttribute.objects.filter(service_code__in=[m.code for m in matters])
        .values_list("service_code", flat=True)
        .distinct()
    )
    return [*(_service(m, with_attributes) for m in matters), unclassified_service()]


def service_matter(district: Division, code: str) -> Matter | None:
    """The matter in force for a service code; None for the unclassified service; 404 otherwise."""
    if code == UNCLASSIFIED:
        return None
    matter = matter_in_force(code, district)
    if matter is None:
        raise Open311Error(404, f"service_code {code} not found")
    return matter


def attributes_of(service_code: str) -> list[ServiceAttribute]:
    return list(ServiceAttribute.objects.filter(service_code=service_code).prefetch_related("values"))


def service_definition(district: Division, code: str) -> dict:
    service_matter(district, code)
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                **(
                    {"values": [{"key": v.key, "name": v.name} for v in a.values.all()]}
                    if a.datatype in LIST_DATATYPES
                    else {}
                ),
            }
            for a in attributes_of(code)
        ],
    }


# --- requests -----------------------------------------------------------------------------------


@dataclass
class Page:
    number: int = 1
    size: int = MAX_REQUESTS


def find_requests(
    *,
    ids: list[str] | None = None,
    district: Division | None = None,
    service_codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    page: Page | None = None,
    now: dt.datetime | None = None,
) -> list[Demand]:
    """Newest first, one page (at most MAX_REQUESTS). With `ids` (tracking codes) every other filter is
    ignored, as the spec says; otherwise the window defaults to the 90 days before `end` (or now)."""
    page = page or Page()
    qs = Demand.objects.select_related(
        "street", "street__parent", "community", "matter", "assigned_unit", "open311"
    )
    if ids:
        qs = qs.filter(tracking_code__in=[normalise(i) for i in ids])
    else:
        end_at = end or now or timezone.now()
        qs = qs.filter(received_at__gte=start or end_at - DEFAULT_WINDOW)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if district is not None:
            qs = qs.filter(street__parent=district)
        if service_codes:
            q = Q(matter__code__in=service_codes)
            if UNCLASSIFIED in service_codes:
                q |= Q(matter__isnull=True)
            qs = qs.filter(q)
        if statuses:
            qs = qs.filter(state__in=[s for status in statuses for s in states_for(status)])
    offset = (page.number - 1) * page.size
    return list(qs.order_by("-received_at", "-id")[offset : offset + page.size])


def request_by_code(code: str) -> Demand:
    found = find_requests(ids=[code])
    if not found:
        raise Open311Error(404, f"service_request_id {code} not found")
    return found[0]


def is_staff(user) -> bool:
    return user is not None and people.has_role(user, STAFF_ROLES)


def exact_for(user, demands: list[Demand]) -> set[int]:
    """The demands whose exact point this token's user may read: staff, within their organisation."""
    if not is_staff(user) or not demands:
        return set()
    return set(
        Demand.objects.visible_to(user).filter(pk__in=[d.pk for d in demands]).values_list("pk", flat=True)
    )


def coarsen(lat: float, lng: float, metres: float | None = None) -> tuple[float, float]:
    """The centre of the cell of about `metres` × `metres` holding the point: every point in the cell
    gives the same answer, so a map shows the neighbourhood, never the door."""
    metres = float(getattr(settings, "OPEN311_COARSEN_METRES", 100) if metres is None else metres)
    if metres <= 0:
        return lat, lng
    lat_step = metres / 111_320.0
    row = math.floor(lat / lat_step)
    centre_lat = (row + 0.5) * lat_step
    lng_step = metres / (111_320.0 * max(math.cos(math.radians(centre_lat)), 0.01))
    centre_lng = (math.floor(lng / lng_step) + 0.5) * lng_step
    return round(centre_lat, 6), round(centre_lng, 6)


def public_requests(demands: list[Demand], *, exact: set[int] | frozenset = frozenset()) -> list[dict]:
    """The Open311 view of each demand, in a fixed number of queries whatever the count."""
    ids = [d.pk for d in demands]
    demand_type, whistle_type = Demand._meta.label_lower, Whistle._meta.label_lower
    updated = dict(
        Event.objects.filter(subject_type=demand_type, subject_id__in=ids)
        .values("subject_id")
        .annotate(last=Max("at"))
        .values_list("subject_id", "last")
    )
    replies: dict[int, list[tuple]] = defaultdict(list)
    for e in Event.objects.filter(
        subject_type=demand_type, subject_id__in=ids, action__in=_DEMAND_REPLY_STEPS
    ).exclude(note=""):
        replies[e.subject_id].append((e.at, e.pk, e.note))
    whistles_of: dict[int, list[int]] = defaultdict(list)
    for demand_id, whistle_id in Whistle.demands.through.objects.filter(demand_id__in=ids).values_list(
        "demand_id", "whistle_id"
    ):
        whistles_of[demand_id].append(whistle_id)
    whistle_ids = {w for ws in whistles_of.values() for w in ws}
    feed_backs: dict[int, list[tuple]] = defaultdict(list)
    for e in Event.objects.filter(
        subject_type=whistle_type, subject_id__in=whistle_ids, action="feed_back"
    ).exclude(note=""):
        feed_backs[e.subject_id].append((e.at, e.pk, e.note))
    # The current lead of each whistle: an upheld dispute withdraws one lead summons and adds another.
    lead_of: dict[int, tuple] = {}
    for s in (
        Summons.objects.filter(whistle_id__in=whistle_ids, role=SummonsRole.LEAD)
        .select_related("unit")
        .order_by("summoned_at", "id")
    ):
        rank = (s.state != SummonsState.WITHDRAWN, s.summoned_at, s.pk)
        if s.whistle_id not in lead_of or rank > lead_of[s.whistle_id][0]:
            lead_of[s.whistle_id] = (rank, s.unit.name)
    context = (updated, replies, whistles_of, feed_backs, lead_of, exact)
    return [_public(d, *context) for d in demands]


def _open311_of(d: Demand) -> Open311Request | None:
    try:
        return d.open311
    except Open311Request.DoesNotExist:
        return None


def _public(d: Demand, updated, replies, whistles_of, feed_backs, lead_of, exact) -> dict:
    notes = list(replies.get(d.pk, []))
    for w in whistles_of.get(d.pk, []):
        notes.extend(feed_backs.get(w, []))
    latest = max(notes, default=None)
    agency = None
    whistles = sorted(whistles_of.get(d.pk, []))
    if whistles and whistles[-1] in lead_of:
        agency = lead_of[whistles[-1]][1]
    elif d.assigned_unit_id:
        agency = d.assigned_unit.name
    last_change = max([t for t in (updated.get(d.pk), latest[0] if latest else None) if t], default=None)
    if d.state in CLOSED_STATES and d.closed_at:
        last_change = max(last_change or d.closed_at, d.closed_at)
    lat = lng = None
    if d.lat is not None and d.lng is not None:
        lat, lng = (d.lat, d.lng) if d.pk in exact else coarsen(d.lat, d.lng)
    places = [p for p in (d.community, d.street, d.street.parent if d.street_id else None) if p is not None]
    record = _open311_of(d)
    if d.matter_id:
        code, name = d.matter.code, d.matter.name
    else:
        unclassified = unclassified_service()
        code, name = unclassified["service_code"], unclassified["service_name"]
    return {
        "service_request_id": d.tracking_code,
        "status": status_of(d.state),
        "status_notes": scrub_personal_data(latest[2], d) if latest else "",
        "service_name": name,
        "service_code": code,
        "description": scrub_personal_data(d.subject, d),
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": iso(d.received_at),
        "updated_datetime": iso(last_change or d.received_at),
        "expected_datetime": iso(d.due_at) if d.due_at else None,
        "address": "，".join(p.name for p in places),
        "address_id": places[0].code if places else None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": record.media_url if record and record.media_url else None,
    }


def iso(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def token_request(token: str) -> dict:
    """`GET /tokens/{token}`: the request's id once created (null while the worker has not)."""
    found = Open311Token.objects.filter(token=token.strip()).select_related("demand").first()
    if found is None:
        raise Open311Error(404, f"token {token} not found")
    if found.error:
        raise Open311Error(400, f"token {token}: the request could not be created: {found.error}")
    return {
        "service_request_id": found.demand.tracking_code if found.demand_id else None,
        "token": found.token,
    }


# --- request updates (FixMyStreet's extension) ---------------------------------------------------


def request_updates(
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    district: Division | None = None,
    page: Page | None = None,
    now: dt.datetime | None = None,
) -> list[dict]:
    """The public steps of the tracking page (`intake.selectors.public_steps`, same labels, same replies,
    same scrubbing, a step repeated with the same reply shown once) that happened in the window, oldest
    first. `update_id` is the step's audit event id (stable); `status` is the demand's after the step."""
    page = page or Page()
    end_at = end or now or timezone.now()
    start_at = start or end_at - DEFAULT_WINDOW
    demand_type, whistle_type = Demand._meta.label_lower, Whistle._meta.label_lower
    in_window = Q(at__gte=start_at, at__lte=end_at)
    demand_ids = set(
        Event.objects.filter(in_window, subject_type=demand_type, action__in=list(PUBLIC_STEPS)).values_list(
            "subject_id", flat=True
        )
    )
    fed_back_whistles = set(
        Event.objects.filter(in_window, subject_type=whistle_type, action="feed_back").values_list(
            "subject_id", flat=True
        )
    )
    if fed_back_whistles:
        demand_ids |= set(
            Whistle.demands.through.objects.filter(whistle_id__in=fed_back_whistles).values_list(
                "demand_id", flat=True
            )
        )
    demands_qs = Demand.objects.filter(pk__in=demand_ids)
    if district is not None:
        demands_qs = demands_qs.filter(street__parent=district)
    demands = {d.pk: d for d in demands_qs}
    if not demands:
        return []
    steps: dict[int, list[dict]] = defaultdict(list)
    for e in Event.objects.filter(
        subject_type=demand_type, subject_id__in=list(demands), action__in=list(PUBLIC_STEPS)
    ):
        d = demands[e.subject_id]
        reply = scrub_personal_data(e.note, d) if e.action in REPLY_STEPS else ""
        steps[d.pk].append(_step(e, str(PUBLIC_STEPS[e.action]), reply, status_of(e.to_state or d.state)))
    whistles_of: dict[int, list[int]] = defaultdict(list)
    for demand_id, whistle_id in Whistle.demands.through.objects.filter(
        demand_id__in=list(demands)
    ).values_list("demand_id", "whistle_id"):
        whistles_of[whistle_id].append(demand_id)
    for e in Event.objects.filter(
        subject_type=whistle_type, subject_id__in=list(whistles_of), action="feed_back"
    ):
        for demand_id in whistles_of[e.subject_id]:
            d = demands[demand_id]
            steps[d.pk].append(_step(e, str(FEED_BACK_LABEL), scrub_personal_data(e.note, d), "open"))
    updates = []
    for demand_id, timeline in steps.items():
        timeline.sort(key=lambda s: (s["at"], s["id"]))
        previous = None
        for s in timeline:
            if previous and (previous["step"], previous["reply"]) == (s["step"], s["reply"]):
                continue
            previous = s
            if start_at <= s["at"] <= end_at:
                updates.append((s, demands[demand_id]))
    updates.sort(key=lambda pair: (pair[0]["at"], pair[0]["id"]))
    offset = (page.number - 1) * page.size
    return [
        {
            "update_id": str(s["id"]),
            "service_request_id": d.tracking_code,
            "status": s["status"],
            "description": _("%(step)s: %(reply)s") % {"step": s["label"], "reply": s["reply"]}
            if s["reply"]
            else s["label"],
            "updated_datetime": iso(s["at"]),
            "media_url": "",
        }
        for s, d in updates[offset : offset + page.size]
    ]


def _step(e: Event, label: str, reply: str, status: str) -> dict:
    return {"at": e.at, "id": e.pk, "step": e.action, "label": label, "reply": reply, "status": status}
