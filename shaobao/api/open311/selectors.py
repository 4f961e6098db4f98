"""Reads for Open311: the duty list in force as services, and the public view of demands as requests.

A request shows only what the public tracking page (`intake.selectors.track`) shows: the state, the
subject and the replies scrubbed by the same `scrub_personal_data`, the street's name; plus the matter and the
responsible unit. Never the reporter's name, phone, the body, the typed address or the coordinates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Max
from django.utils import timezone

from shaobao.api.open311.errors import Open311Error
from shaobao.core.models import Event
from shaobao.duties.models import Matter
from shaobao.duties.selectors import duty_list_in_force, matter_in_force
from shaobao.intake.codes import normalise
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.selectors import PUBLIC_STEPS, REPLY_STEPS, scrub_personal_data
from shaobao.org.models import Division
from shaobao.whistles.models import Summons, SummonsRole, SummonsState, Whistle

CLOSED_STATES = frozenset({DemandState.CLOSED, DemandState.CALLED_BACK, DemandState.MERGED})
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
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
        division = Division.objects.filter(code=code.ljust(12, "0"), level="district").first()
        if division is None:
            raise Open311Error(404, f"jurisdiction_id {code} not found")
        return division
    districts = list(Division.objects.filter(level="district", duty_lists__status="published").distinct()[:2])
    if len(districts) != 1:
        raise Open311Error(400, "jurisdiction_id is required")
    return districts[0]


def _service(matter: Matter) -> dict:
    return {
        "service_code": matter.code,
        "service_name": matter.name,
        "description": matter.description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(str(k) for k in (matter.keywords or [])),
        "group": matter.domain.name,
    }


def services(district: Division) -> list[dict]:
    duty_list = duty_list_in_force(district)
    if duty_list is None:
        return []
    return [_service(m) for m in duty_list.matters.select_related("domain").order_by("code")]


def service_matter(district: Division, code: str) -> Matter:
    matter = matter_in_force(code, district)
    if matter is None:
        raise Open311Error(404, f"service_code {code} not found")
    return matter


def find_requests(
    *,
    ids: list[str] | None = None,
    district: Division | None = None,
    service_code: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Demand]:
    """Newest first, at most MAX_REQUESTS. With `ids` (tracking codes) every other filter is ignored, as
    the spec says; otherwise the window defaults to the 90 days before `end` (or now)."""
    qs = Demand.objects.select_related("street", "matter", "assigned_unit")
    if ids:
        qs = qs.filter(tracking_code__in=[normalise(i) for i in ids])
    else:
        end_at = end or now or timezone.now()
        qs = qs.filter(received_at__gte=start or end_at - DEFAULT_WINDOW)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if district is not None:
            qs = qs.filter(street__parent=district)
        if service_code:
            qs = qs.filter(matter__code=service_code)
        if statuses:
            qs = qs.filter(state__in=[s for status in statuses for s in states_for(status)])
    return list(qs.order_by("-received_at", "-id")[:MAX_REQUESTS])


def request_by_code(code: str) -> Demand:
    found = find_requests(ids=[code])
    if not found:
        raise Open311Error(404, f"service_request_id {code} not found")
    return found[0]


def public_requests(demands: list[Demand]) -> list[dict]:
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
    return [_public(d, updated, replies, whistles_of, feed_backs, lead_of) for d in demands]


def _public(d: Demand, updated, replies, whistles_of, feed_backs, lead_of) -> dict:
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
    return {
        "service_request_id": d.tracking_code,
        "status": status_of(d.state),
        "status_notes": scrub_personal_data(latest[2], d) if latest else "",
        "service_name": d.matter.name if d.matter_id else None,
        "service_code": d.matter.code if d.matter_id else None,
        "description": scrub_personal_data(d.subject, d),
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _iso(d.received_at),
        "updated_datetime": _iso(last_change or d.received_at),
        "expected_datetime": None,
        "address": d.street.name if d.street_id else "",
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _iso(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")
