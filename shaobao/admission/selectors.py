"""Reads of task admission: the catalogue (per district, per community), requests, marks, and the reports.

Lists come from `access.*_visible_to(user)`, so every read is scoped by the user's organisation; the reports
are GROUP BY queries whose number does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shaobao.admission import access
from shaobao.admission.models import (
    OUTSIDE_SIGNBOARD_LIMIT,
    AdmissionRequest,
    EntryKind,
    RequestState,
    in_force_q,
)
from shaobao.org.models import Division


def applies_to_q(community: Division) -> Q:
    """Entries that apply to a community: those for every community, and those naming it."""
    return Q(communities__isnull=True) | Q(communities=community)


def filter_catalogue(
    qs: QuerySet,
    *,
    kind: str = "",
    unit: str = "",
    in_force: str = "",
    q: str = "",
    community: Division | None = None,
    on: dt.date | None = None,
) -> QuerySet:
    """kind: an EntryKind code; unit: a unit code; in_force: "yes" / "no"; q: words in the name, code or basis."""
    on = on or timezone.localdate()
    if kind:
        qs = qs.filter(kind=kind)
    if unit:
        qs = qs.filter(unit__code=unit)
    if in_force == "yes":
        qs = qs.filter(in_force_q(on))
    elif in_force == "no":
        qs = qs.exclude(in_force_q(on))
    if community is not None:
        qs = qs.filter(
            pk__in=qs.model.objects.filter(district__code__startswith=community.code[:6])
            .filter(applies_to_q(community))
            .values("pk")
        )
    for word in (q or "").split():
        qs = qs.filter(Q(name__icontains=word) | Q(code__icontains=word) | Q(basis__icontains=word))
    return qs


def catalogue_counts(qs: QuerySet, on: dt.date | None = None) -> dict[str, int]:
    """Entries in force per kind (the catalogue's header: 52 / 54 / 2 / 34 / 6 …)."""
    on = on or timezone.localdate()
    rows = qs.filter(in_force_q(on)).order_by().values("kind").annotate(n=Count("pk", distinct=True))
    counts = dict.fromkeys(EntryKind.values, 0)
    counts.update({r["kind"]: r["n"] for r in rows})
    return counts


def outside_signboards_of(district: Division, community: Division, on: dt.date | None = None) -> int:
    on = on or timezone.localdate()
    qs = access.CatalogueEntry.objects.filter(
        district=district, kind=EntryKind.SIGNBOARD, outside=True
    ).filter(in_force_q(on))
    return qs.filter(applies_to_q(community)).distinct().count()


def filter_requests(
    qs: QuerySet, *, state: str = "", kind: str = "", unit: str = "", q: str = ""
) -> QuerySet:
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if unit:
        qs = qs.filter(unit__code=unit)
    for word in (q or "").split():
        qs = qs.filter(Q(name__icontains=word) | Q(reason__icontains=word) | Q(basis__icontains=word))
    return qs


def filter_marks(
    qs: QuerySet,
    *,
    unit: str = "",
    community: str = "",
    ground: str = "",
    open_only: bool = False,
    q: str = "",
) -> QuerySet:
    if unit:
        qs = qs.filter(unit__code=unit)
    if community:
        qs = qs.filter(community__code=Division.full_code(community))
    if ground:
        qs = qs.filter(ground=ground)
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    for word in (q or "").split():
        qs = qs.filter(Q(task__icontains=word) | Q(note__icontains=word))
    return qs


# --- reports ------------------------------------------------------------------------------------------


def requests_by_department(user, district: Division) -> list[dict]:
    """Per department: requests filed, pending, approved, refused (one GROUP BY)."""
    return list(
        access.requests_visible_to(user)
        .filter(district=district)
        .order_by()
        .values("unit_id", "unit__code", "unit__name")
        .annotate(
            total=Count("pk"),
            pending=Count("pk", filter=Q(state=RequestState.PENDING)),
            approved=Count("pk", filter=Q(state=RequestState.APPROVED)),
            refused=Count("pk", filter=Q(state=RequestState.REFUSED)),
        )
        .order_by("-total", "unit__code")
    )


def refusals(user, district: Division) -> QuerySet:
    return (
        access.requests_visible_to(user)
        .filter(district=district, state=RequestState.REFUSED)
        .select_related("unit", "decided_by")
        .order_by("-decided_at", "-id")
    )


def catalogue_per_community(district: Division, on: dt.date | None = None) -> list[dict]:
    """Per community of the district: entries in force per kind and outside signboards (two GROUP BYs)."""
    on = on or timezone.localdate()
    base = access.CatalogueEntry.objects.filter(district=district).filter(in_force_q(on)).order_by()
    wide = defaultdict(int)
    wide_outside = 0
    for row in base.filter(communities__isnull=True).values("kind", "outside").annotate(n=Count("pk")):
        wide[row["kind"]] += row["n"]
        if row["kind"] == EntryKind.SIGNBOARD and row["outside"]:
            wide_outside += row["n"]
    specific: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    specific_outside: dict[int, int] = defaultdict(int)
    for row in (
        base.filter(communities__isnull=False)
        .values("communities", "kind", "outside")
        .annotate(n=Count("pk"))
    ):
        specific[row["communities"]][row["kind"]] += row["n"]
        if row["kind"] == EntryKind.SIGNBOARD and row["outside"]:
            specific_outside[row["communities"]] += row["n"]
    out = []
    communities = Division.objects.filter(level="community", code__startswith=district.prefix).select_related(
        "parent"
    )
    for c in communities.order_by("code"):
        kinds = {k: wide[k] + specific[c.pk][k] for k in EntryKind.values}
        outside = wide_outside + specific_outside[c.pk]
        out.append(
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "street": c.parent.name if c.parent_id else "",
                "kinds": kinds,
                "total": sum(kinds.values()),
                "outside_signboards": outside,
                "over_limit": outside > OUTSIDE_SIGNBOARD_LIMIT,
            }
        )
    return out


def request_states(user, district: Division) -> dict[str, int]:
    rows = (
        access.requests_visible_to(user)
        .filter(district=district)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(RequestState.values, 0)
    counts.update({r["state"]: r["n"] for r in rows})
    return counts


def pending_count(user, district: Division) -> int:
    return (
        AdmissionRequest.objects.filter(district=district, state=RequestState.PENDING).count()
        if (access.is_district_decider(user, district))
        else 0
    )
