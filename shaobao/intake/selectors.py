"""Reads on demands: list filters, possible duplicates, and the public tracking view.

`scrub_personal_data` (in `intake.privacy`) is re-exported here for Open311."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shaobao.core import audit
from shaobao.core.errors import NotFound
from shaobao.core.models import Event
from shaobao.intake.codes import normalise
from shaobao.intake.models import Demand, DemandState
from shaobao.intake.privacy import (
    mask_name,
    mask_phone,
    reporter_search,
    reveal_scope,
    scrub_personal_data,
)

OPEN_STATES = (DemandState.RECEIVED, DemandState.SELF_HANDLING, DemandState.WHISTLED, DemandState.REOPENED)


def _bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


# How far back a search for words looks, by the list's and the API's `within` (days; None: all time). A word
# is found by reading every row of the period (no index serves `icontains` on two Chinese characters), so
# searching a township's whole history grew with the years: 17,500 rows at 25 M demands in a province,
# 70,000 at 100 M (docs/scale.md). A year is what a dispatcher looks through; all time stays one choice away.
SEARCH_WINDOWS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_SEARCH_WINDOW = "365"


def whole_tracking_code(q: str | None) -> str | None:
    """The tracking code `q` is, if it is one (case and spaces ignored): found whatever its age, through
    the code's unique index (a resident calls with the code of a demand from years ago)."""
    code = normalise(q or "")
    if not code or not Demand.objects.filter(tracking_code=code).exists():
        return None
    return code


def search_days(q: str | None, within: str | None = None) -> int | None:
    """How many days back a search for `q` looks: the chosen window (`SEARCH_WINDOWS`, a year by
    default); None for no search, for all time, and for a whole tracking code."""
    if not (q and q.strip()) or whole_tracking_code(q):
        return None
    return _window_days(within)


def _window_days(within: str | None) -> int | None:
    key = within or DEFAULT_SEARCH_WINDOW
    if key not in SEARCH_WINDOWS:
        raise ValueError(f"unknown search window {within!r}")
    return SEARCH_WINDOWS[key]


def filter_demands(
    qs: QuerySet,
    *,
    state: str | None = None,
    street: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    matter: str | None = None,
    unit: str | None = None,
    urgency: str | None = None,
    overdue=None,
    q: str | None = None,
    within: str | None = None,
    now: dt.datetime | None = None,
    viewer=None,
) -> QuerySet:
    """Filters of the demand list (all optional; street/matter/unit are codes).

    `q` finds a tracking code from any part of it (case and spaces ignored), words of the subject, body
    or address, and — for a `viewer` who may see reporters (`privacy.reveal_scope`) — the caller's name
    or part of their phone number, among the demands received in the last `within` days (`search_days`:
    a year unless "all"). A whole tracking code finds its demand, whatever its age."""
    now = now or timezone.now()
    if state:
        qs = qs.filter(state=state)
    if street:
        qs = qs.filter(street__code=street.ljust(12, "0"))
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if matter:
        qs = qs.filter(matter__code=matter)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if unit:
        qs = qs.filter(
            Q(assigned_unit__code=unit)
            | Q(pk__in=Demand.objects.filter(whistles__summonses__unit__code=unit).values("pk"))
        )
    flag = _bool(overdue)
    if flag is not None:
        late = Q(state__in=OPEN_STATES, due_at__lte=now)
        qs = qs.filter(late) if flag else qs.exclude(late)
    code = whole_tracking_code(q) if q and q.strip() else None
    if code:
        qs = qs.filter(tracking_code=code)
    elif q and q.strip():
        term = q.strip()
        found = (
            Q(tracking_code__icontains=normalise(term))
            | Q(subject__icontains=term)
            | Q(body__icontains=term)
            | Q(address__icontains=term)
        )
        if viewer is not None:
            found |= reporter_search(viewer, term)
        qs = qs.filter(found)
        days = _window_days(within)
        if days is not None:
            qs = qs.filter(received_at__gte=now - dt.timedelta(days=days))
    return qs


def possible_duplicates(demand: Demand, *, limit: int = 10) -> QuerySet:
    """Recent open demands of the same street about the same matter or in the same grid (to merge)."""
    since = demand.received_at - dt.timedelta(days=getattr(settings, "DUPLICATE_WINDOW_DAYS", 30))
    if demand.street_id is None:
        return Demand.objects.none()
    same = Q(grid_id=demand.grid_id) if demand.grid_id else Q(pk__in=[])
    if demand.matter_id:
        same |= Q(matter_id=demand.matter_id)
    if demand.address:
        same |= Q(address=demand.address)
    return (
        Demand.objects.filter(same, street_id=demand.street_id, received_at__gte=since)
        .exclude(pk=demand.pk)
        .exclude(state__in=[DemandState.MERGED, DemandState.CALLED_BACK])
        .order_by("-received_at")[:limit]
    )


def caller_history(user, demand: Demand, *, limit: int = 10) -> list[Demand]:
    """The caller's earlier demands (same phone number), newest first, for the intake desk.

    Only demands whose reporter this user may see (`privacy.reveal_scope`: the street dispatcher, the
    district's coordinators and administrators): to anyone else a phone number must not reveal who
    called before. Within CALLER_HISTORY_DAYS (default 365). Each carries `.reporter` (masked: name and
    phone are shown masked here too; revealing stays an explicit, logged step)."""
    return calls_from(
        user, demand.reporter_phone, exclude_id=demand.pk, before=demand.received_at, limit=limit
    )


def calls_from(
    user, phone: str, *, exclude_id: int | None = None, before: dt.datetime | None = None, limit: int = 10
) -> list[Demand]:
    """Demands reported from this phone number that `user` may know about (see `caller_history`)."""
    phone = (phone or "").strip()
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 5:
        return []
    same = Q(reporter_phone=phone) | Q(reporter_phone=digits)
    since = (before or timezone.now()) - dt.timedelta(days=getattr(settings, "CALLER_HISTORY_DAYS", 365))
    qs = Demand.objects.visible_to(user).filter(same, reveal_scope(user), received_at__gte=since)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    found = list(qs.select_related("street").order_by("-received_at", "-id")[:limit])
    for d in found:
        d.reporter = {"name": mask_name(d.reporter_name), "phone": mask_phone(d.reporter_phone)}
    return found


# Steps the resident sees on the public tracking page, with a plain label in the page's language.
# Replies are shown only for the steps that answer the resident: what the street's own unit or the lead
# department reports it did. Verification notes, callback notes, reasons for a transfer and merge notes
# are internal (they name people, judge the work, or say who decided what) and are never shown.
PUBLIC_STEPS = {
    "receive": _("Received"),
    "transfer": _("Passed to the responsible street"),
    "self_handle": _("Being handled by the street"),
    "blow_whistle": _("Whistle blown, departments summoned"),
    "merge": _("Merged with a report of the same problem"),
    "finish_self_handling": _("Handled"),
    "verify_pass": _("Verified and closed"),
    "verify_fail": _("Sent back for rework"),
    "rework": _("Sent back for rework"),
    "whistle_closed": _("Verified and closed"),
    "callback_satisfied": _("Called back"),
    "callback_unsatisfied": _("Called back, reopened"),
}
FEED_BACK_LABEL = _("The responsible department reported its result")
REPLY_STEPS = {"finish_self_handling", "feed_back"}


def public_steps(demand: Demand) -> list[dict]:
    """The demand's public timeline, oldest first, each step once.

    A whistle's verification failure used to be missing (the demand's event is "rework"), so after a
    rework the department's second report followed the first with nothing between: the same step twice.
    A step identical to the one before it (same step, same reply) is shown once."""
    steps = []
    for e in audit.history(demand):
        if e.action not in PUBLIC_STEPS:
            continue
        steps.append(
            {
                "at": e.at,
                "id": e.pk,
                "step": e.action,
                "label": str(PUBLIC_STEPS[e.action]),
                "state": e.to_state,
                "reply": scrub_personal_data(e.note, demand) if e.action in REPLY_STEPS else "",
            }
        )
    whistle_ids = list(demand.whistles.values_list("pk", flat=True))
    whistle_type = demand.whistles.model._meta.label_lower
    for e in Event.objects.filter(
        subject_type=whistle_type, subject_id__in=whistle_ids, action="feed_back"
    ).order_by("at", "id"):
        steps.append(
            {
                "at": e.at,
                "id": e.pk,
                "step": "feed_back",
                "label": str(FEED_BACK_LABEL),
                "state": e.to_state,
                "reply": scrub_personal_data(e.note, demand),
            }
        )
    steps.sort(key=lambda s: (s["at"], s["id"]))
    shown: list[dict] = []
    for s in steps:
        if shown and (shown[-1]["step"], shown[-1]["reply"]) == (s["step"], s["reply"]):
            continue
        shown.append(
            {
                "at": s["at"].isoformat(),
                "step": s["step"],
                "label": s["label"],
                "state": s["state"],
                "reply": s["reply"],
            }
        )
    return shown


def track(code: str) -> dict:
    """The public view of a demand by tracking code: state, public steps and replies; no personal data."""

    demand = (
        Demand.objects.select_related("street", "merged_into").filter(tracking_code=normalise(code)).first()
    )
    if demand is None:
        raise NotFound(f"查询码 {code} 不存在 / No demand with tracking code {code}")
    steps = public_steps(demand)
    return {
        "tracking_code": demand.tracking_code,
        "subject": scrub_personal_data(demand.subject, demand),
        "state": demand.state,
        "state_label": str(demand.get_state_display()),
        "street": demand.street.name if demand.street_id else None,
        "received_at": demand.received_at.isoformat(),
        "closed_at": demand.closed_at.isoformat() if demand.closed_at else None,
        "merged_into": demand.merged_into.tracking_code if demand.merged_into_id else None,
        "steps": steps,
    }


# --- the demand list of street staff, at a province's scale ------------------------------------------------

LIST_ORDER = ("-received_at", "-id")


class BranchedDemands:
    """The demands a street's staff may see — their streets' and the ones they created — as two disjoint
    branches, paged for Django's Paginator (count() and slices).

    Why: `visible_to` ORs the two, and PostgreSQL cannot read an OR in index order: it fetched every row of
    the township (17,500 at 25 M demands in a province, 70,000 at 100 M) to sort them and count them, 240 ms
    and growing with the years. Apart, each branch is read newest first through its own index and stops after
    the page (`(street, received_at, id)`, `created_by`); a page is the top of the two (UNION ALL, ordered),
    its rows then read by id. The count is the sum of the two counts."""

    def __init__(self, qs: QuerySet, streets: set[int], user, related: tuple[str, ...] = ()):
        self.related = related
        self.branches = [
            qs.filter(street_id__in=sorted(streets)),
            qs.filter(created_by=user).exclude(street_id__in=sorted(streets)),
        ]
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = sum(b.order_by().count() for b in self.branches)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        if stop <= start:
            return []
        tops = [b.order_by(*LIST_ORDER).values_list("received_at", "id")[:stop] for b in self.branches]
        page = tops[0].union(tops[1], all=True).order_by(*LIST_ORDER)[start:stop]
        ids = [pk for _at, pk in page]
        rows = Demand.objects.filter(pk__in=ids).select_related(*self.related).in_bulk()
        return [rows[pk] for pk in ids if pk in rows]


def list_for(user, qs: QuerySet, related: tuple[str, ...] = ()):
    """What the demand list pages over, from the filtered demands `qs` (not yet limited to what the user may
    see): `qs.visible_to(user)` for most people; for street staff who see only their streets and what they
    created (exactly `visible_to`'s rule for them), the same demands as two branches that PostgreSQL reads in
    index order (`BranchedDemands`)."""
    from django.db import connection

    from shaobao.intake import people

    visible = qs.visible_to(user)
    if connection.vendor != "postgresql":  # SQLite: no LIMIT inside a UNION's parts; a district fits anyway
        return visible
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_superuser", False):
        return visible
    if people.unit_ids(user) or people.district_prefixes(user):
        return visible
    streets = people.street_ids(user, people.STREET_STAFF_ROLES)
    if not streets:
        return visible
    return BranchedDemands(qs, streets, user, related)
