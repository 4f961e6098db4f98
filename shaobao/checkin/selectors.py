"""Reads of 双报到: the lists (scoped by `checkin.access`), filters, person-times and the board panel.

A person-time (人次) is one confirmed service record; hours are the confirmed records' hours. Recorded but
unconfirmed (or rejected) services do not count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from shaobao.checkin.access import (
    reach,
    territory_q,
    visible_members,
    visible_needs,
    visible_organisations,
    visible_posts,
    visible_records,
)
from shaobao.checkin.models import (
    NEW_EMPLOYMENT_KINDS,
    MemberCheckin,
    MemberMonthCount,
    Need,
    NeedState,
    PostShift,
    RecordState,
    ServiceDayCount,
)
from shaobao.checkin.privacy import person_search, phone_digits
from shaobao.org.models import Division

CONFIRMED = Q(state=RecordState.CONFIRMED)


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def default_period(today: dt.date | None = None) -> Period:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=29), today)


def parse_period(date_from: str | None, date_to: str | None) -> tuple[Period, dict[str, str]]:
    """A period from two ISO dates (either may be missing: the last 30 days); errors by field name."""
    errors: dict[str, str] = {}
    default = default_period()
    days = {}
    for name, value in (("from", date_from), ("to", date_to)):
        if value:
            try:
                days[name] = dt.date.fromisoformat(str(value))
            except ValueError:
                errors[name] = "invalid"
    first = days.get("from", default.first if "to" not in days else days["to"] - dt.timedelta(days=29))
    last = days.get("to", default.last if "from" not in days else max(first, default.last))
    if not errors and last < first:
        errors["to"] = "before_from"
    return Period(first, last), errors


# --- lists -----------------------------------------------------------------------------------------


def _territory_filters(qs, *, street: str = "", community: str = "", organisation: str = ""):
    if street:
        qs = qs.filter(street__code=Division.full_code(street)) if street.isdigit() else qs.none()
    if community:
        qs = qs.filter(community__code=Division.full_code(community)) if community.isdigit() else qs.none()
    if organisation:
        qs = qs.filter(organisation_id=int(organisation)) if str(organisation).isdigit() else qs.none()
    return qs


def organisations_for(user, *, q: str = "", street: str = "", community: str = "", unit: str = ""):
    qs = _territory_filters(visible_organisations(user), street=street, community=community)
    if unit:
        qs = qs.filter(unit__code=unit)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(skills__icontains=q) | Q(resources__icontains=q))
    return (
        qs.select_related("community", "street", "unit")
        .order_by("community__code", "name", "id")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True), distinct=True))
    )


def members_for(
    user,
    *,
    q: str = "",
    street: str = "",
    community: str = "",
    organisation: str = "",
    kind: str = "",
    unit: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """Members visible to the user, filtered. `q` of digits searches phones (their last or first digits,
    only where the user may see them: `privacy.person_search`); other words search skills, resources and
    names (names only where the user may see them)."""
    qs = _territory_filters(
        visible_members(user), street=street, community=community, organisation=organisation
    )
    if kind == "new_employment":
        qs = qs.filter(kind__in=list(NEW_EMPLOYMENT_KINDS))
    elif kind:
        qs = qs.filter(kind=kind)
    if unit:
        qs = qs.filter(organisation__unit__code=unit)
    if date_from:
        qs = qs.filter(checked_in_on__gte=date_from)
    if date_to:
        qs = qs.filter(checked_in_on__lte=date_to)
    q = (q or "").strip()
    if q and phone_digits(q):
        qs = qs.filter(person_search(user, q))
    elif q:
        qs = qs.filter(Q(skills__icontains=q) | Q(resources__icontains=q) | person_search(user, q))
    return qs.select_related("community", "street", "organisation").order_by("-checked_in_on", "-id")


SEARCH_COUNT_CAP = 10_000


class IdsFirstPaginator(Paginator):
    """Reads a page's ids first (the filters and the order only: a deep OFFSET skips index entries, not
    joined rows), then those rows with their joins."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {o.pk: o for o in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class SearchPaginator(IdsFirstPaginator):
    """A search's pages count its matches up to SEARCH_COUNT_CAP only (`capped` says there are more): a word
    that every member's name holds must not count half a million rows on every page."""

    capped = False

    @cached_property
    def count(self) -> int:
        n = self.object_list[: SEARCH_COUNT_CAP + 1].count()
        self.capped = n > SEARCH_COUNT_CAP
        return min(n, SEARCH_COUNT_CAP)


def with_service_totals(members: list[MemberCheckin], period: Period | None = None) -> list[MemberCheckin]:
    """Set `.person_times` and `.hours` (confirmed services, in the period if given) on a page of members:
    one grouped query over the page's ids (the index member, state, served_on), whatever the list's size."""
    from shaobao.checkin.models import ServiceRecord

    ids = [m.pk for m in members]
    records = ServiceRecord.objects.filter(CONFIRMED, member_id__in=ids)
    if period is not None:
        records = records.filter(served_on__gte=period.first, served_on__lte=period.last)
    totals = {
        row["member_id"]: row
        for row in records.values("member_id").annotate(n=Count("id"), h=Sum("hours")).order_by()
    }
    for m in members:
        row = totals.get(m.pk)
        m.person_times = row["n"] if row else 0
        m.hours = row["h"] if row else 0
    return members


def records_for(
    user,
    *,
    street: str = "",
    community: str = "",
    organisation: str = "",
    member: str = "",
    unit: str = "",
    state: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    qs = _territory_filters(
        visible_records(user), street=street, community=community, organisation=organisation
    )
    if member:
        qs = qs.filter(member_id=int(member)) if str(member).isdigit() else qs.none()
    if unit:
        qs = qs.filter(organisation__unit__code=unit)
    if state:
        qs = qs.filter(state=state)
    if date_from:
        qs = qs.filter(served_on__gte=date_from)
    if date_to:
        qs = qs.filter(served_on__lte=date_to)
    return qs.select_related("member__community", "community", "need", "organisation").order_by(
        "-served_on", "-id"
    )


def needs_for(user, *, community: str = "", street: str = "", state: str = "", kind: str = ""):
    qs = _territory_filters(visible_needs(user), street=street, community=community)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return (
        qs.select_related("community", "demand")
        .annotate(taken=Count("takings"))
        .order_by("state", "-published_at", "-id")
    )


def communities_for(user):
    """The communities a user's filters and pickers list: those of their territory, or their own."""
    r = reach(user)
    qs = Division.objects.filter(level="community")
    if r.everything:
        return qs.order_by("code")
    q = Q(pk__in=r.community_ids) | Q(parent_id__in=r.view_street_ids)
    for prefix in r.district_prefixes:
        q |= Q(code__startswith=prefix)
    if r.member_ids:
        q |= Q(pk__in=MemberCheckin.objects.filter(pk__in=r.member_ids).values("community_id"))
    return qs.filter(q).order_by("code")


def managed_communities(user):
    from shaobao.checkin.access import may_manage

    return [c for c in communities_for(user).select_related("parent") if may_manage(user, c)]


def schedule_of(user, *, community: str = ""):
    """Service posts with their weekly shifts, by day."""
    posts = _territory_filters(visible_posts(user), community=community).filter(is_active=True)
    posts = list(posts.select_related("community").order_by("community__code", "name"))
    shifts = (
        PostShift.objects.filter(post__in=posts)
        .select_related("member__community")
        .order_by("weekday", "starts_at", "member__name")
    )
    by_post: dict[int, list] = {p.pk: [] for p in posts}
    for s in shifts:
        by_post[s.post_id].append(s)
    for p in posts:
        p.shift_list = by_post[p.pk]
    return posts


def my_member_rows(user):
    return list(
        MemberCheckin.objects.filter(pk__in=reach(user).member_ids).select_related(
            "community", "organisation"
        )
    )


def open_needs_for_member(user):
    """The open needs of the member's communities that they have not taken yet."""
    r = reach(user)
    communities = MemberCheckin.objects.filter(pk__in=r.member_ids).values("community_id")
    return (
        Need.objects.filter(community_id__in=communities, state=NeedState.OPEN)
        .exclude(takings__member_id__in=r.member_ids)
        .select_related("community")
        .annotate(taken=Count("takings"))
        .order_by("-published_at")
    )


def taken_needs_for_member(user):
    r = reach(user)
    return (
        Need.objects.filter(takings__member_id__in=r.member_ids)
        .select_related("community")
        .distinct()
        .order_by("-published_at")
    )


# --- figures ---------------------------------------------------------------------------------------


HOURS_ROLLED = Coalesce(Sum("hours"), Value(0), output_field=DecimalField(max_digits=14, decimal_places=1))


def _rolled_up(model, user, *, street: str = "", community: str = "", organisation: str = "", unit: str = ""):
    """Roll-up rows (`ServiceDayCount`, `MemberMonthCount`) the user sees, like `visible_records`: their
    territory, their own organisation's (unit staff), their own (a member)."""
    r = reach(user)
    q = territory_q(r)
    if r.unit_ids:
        q |= Q(organisation__unit_id__in=r.unit_ids)
    if r.member_ids and model is MemberMonthCount:  # the daily cells hold others' services too
        q |= Q(member_id__in=r.member_ids)
    qs = _territory_filters(
        model.objects.filter(q), street=street, community=community, organisation=organisation
    )
    if unit:
        qs = qs.filter(organisation__unit__code=unit)
    return qs


def days_of(user, period: Period, **filters):
    return _rolled_up(ServiceDayCount, user, **filters).filter(day__gte=period.first, day__lte=period.last)


def person_times_by(user, period: Period, group: str, *, limit: int | None = None, **filters) -> list[dict]:
    """Person-times and hours per organisation, community or street over the period, most first, from the
    daily roll-up (`ServiceDayCount`: a few thousand rows a month, whatever the number of services)."""
    fields = {
        "organisation": ("organisation_id", "organisation__name", "organisation__community__name"),
        "community": ("community_id", "community__name", "street__name"),
        "street": ("street_id", "street__name", "street__parent__name"),
    }[group]
    qs = days_of(user, period, **filters).order_by()
    if group == "organisation":
        qs = qs.filter(organisation__isnull=False)
    rows = qs.values(*fields).annotate(n=Sum("person_times"), h=HOURS_ROLLED).order_by("-n", fields[1])
    rows = rows[:limit] if limit else rows
    return [
        {
            "id": r[fields[0]],
            "name": r[fields[1]],
            "where": r[fields[2]],
            "person_times": r["n"],
            "hours": r["h"],
        }
        for r in rows
    ]


def members_of_month(user, month: dt.date, *, limit: int | None = None, **filters) -> list[dict]:
    """The members with the most person-times in a calendar month, from the monthly roll-up (one row per
    member and community: read in the order of its index, no grouping)."""
    qs = (
        _rolled_up(MemberMonthCount, user, **filters)
        .filter(month=month.replace(day=1))
        .values("member_id", "member__name", "community__name", "person_times", "hours")
        .order_by("-person_times", "-hours", "member_id")
    )
    qs = qs[:limit] if limit else qs
    return [
        {
            "id": r["member_id"],
            "name": r["member__name"],
            "where": r["community__name"],
            "person_times": r["person_times"],
            "hours": r["hours"],
        }
        for r in qs
    ]


def members_who_served(user, month: dt.date, **filters) -> int:
    return (
        _rolled_up(MemberMonthCount, user, **filters)
        .filter(month=month.replace(day=1))
        .aggregate(n=Count("member_id", distinct=True))["n"]
    )


def totals(user, period: Period, **filters) -> dict:
    """Person-times and hours over the period (daily roll-up), and the services awaiting confirmation."""
    agg = days_of(user, period, **filters).aggregate(person_times=Sum("person_times"), hours=HOURS_ROLLED)
    pending = records_for(user, **filters).filter(state=RecordState.RECORDED).count()
    return {"person_times": agg["person_times"] or 0, "hours": agg["hours"], "pending": pending}


def coverage(user, *, street: str = "") -> list[dict]:
    """Per community of the user's territory: organisations and members checked in (active), new-employment
    members among them, open needs and service posts."""
    communities = communities_for(user).select_related("parent")
    if street:
        communities = communities.filter(parent__code=Division.full_code(street)) if street.isdigit() else []
    communities = list(communities)
    ids = [c.pk for c in communities]
    orgs = dict(
        visible_organisations(user)
        .filter(community_id__in=ids, is_active=True)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
        .order_by()
    )
    members = {
        row["community_id"]: row
        for row in visible_members(user)
        .filter(community_id__in=ids, is_active=True)
        .values("community_id")
        .annotate(n=Count("id"), ne=Count("id", filter=Q(kind__in=list(NEW_EMPLOYMENT_KINDS))))
        .order_by()
    }
    needs = dict(
        visible_needs(user)
        .filter(community_id__in=ids, state=NeedState.OPEN)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
        .order_by()
    )
    posts = dict(
        visible_posts(user)
        .filter(community_id__in=ids, is_active=True)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
        .order_by()
    )
    out = []
    for c in communities:
        m = members.get(c.pk) or {"n": 0, "ne": 0}
        out.append(
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "street": c.parent.name if c.parent_id else "",
                "organisations": orgs.get(c.pk, 0),
                "members": m["n"],
                "new_employment": m["ne"],
                "open_needs": needs.get(c.pk, 0),
                "posts": posts.get(c.pk, 0),
            }
        )
    return out


def board_panel(user) -> dict:
    """The coordination board's forces view: 双报到 in the user's territory over the last 30 days."""
    period = default_period()
    cov = coverage(user)
    figures = totals(user, period)
    return {
        "period": period,
        "organisations": sum(c["organisations"] for c in cov),
        "members": sum(c["members"] for c in cov),
        "new_employment": sum(c["new_employment"] for c in cov),
        "communities": len(cov),
        "covered": sum(1 for c in cov if c["organisations"] or c["members"]),
        "open_needs": sum(c["open_needs"] for c in cov),
        "person_times": figures["person_times"],
        "hours": figures["hours"],
        "pending": figures["pending"],
        "top_communities": person_times_by(user, period, "community", limit=5),
    }
