"""Who sees and who manages check-ins, needs and services.

- the district (coordinator, administrator): sees and manages everything of its district;
- a street's staff see their street's communities; its dispatcher and leader manage them (register, publish
  needs, confirm services);
- a community committee's staff see and manage their community;
- other units' staff see their own organisation's check-in, its members and their services;
- a checked-in member sees their own records, and the open needs of their community.

`reach(user)` reads this once per request; `visible_q` turns it into a filter for each model, `access_*`
fetch one object or raise NotFound (outside the user's reach we do not say it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from shaobao.checkin.models import (
    MemberCheckin,
    Need,
    NeedState,
    OrganisationCheckin,
    ServicePost,
    ServiceRecord,
)
from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import people
from shaobao.org.access import require_member
from shaobao.org.models import Division, Role, Unit

MANAGER_STREET_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
VIEWER_STREET_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER, Role.GRID_WORKER})
UNIT_STAFF = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})


@dataclass(frozen=True)
class Reach:
    everything: bool
    district_prefixes: frozenset[str]
    view_street_ids: frozenset[int]
    manage_street_ids: frozenset[int]
    community_ids: frozenset[int]  # community committees' staff: see and manage
    unit_ids: frozenset[int]  # other units' staff: their own organisation
    member_ids: frozenset[int]  # the user's own check-ins

    @property
    def is_staff(self) -> bool:
        return bool(
            self.everything
            or self.district_prefixes
            or self.view_street_ids
            or self.community_ids
            or self.unit_ids
        )

    @property
    def manages_any(self) -> bool:
        return bool(self.everything or self.district_prefixes or self.manage_street_ids or self.community_ids)


def reach(user) -> Reach:
    cached = getattr(user, "_checkin_reach", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        result = Reach(False, frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
    else:
        unit_ids = people.unit_ids(user, UNIT_STAFF)
        committees = dict(
            Unit.objects.filter(pk__in=unit_ids, kind="community_committee").values_list("pk", "division_id")
        )
        community_ids = set(
            Division.objects.filter(pk__in=set(committees.values()), level="community").values_list(
                "pk", flat=True
            )
        )
        result = Reach(
            everything=bool(user.is_superuser),
            district_prefixes=frozenset(people.district_prefixes(user)),
            view_street_ids=frozenset(people.street_ids(user, VIEWER_STREET_ROLES)),
            manage_street_ids=frozenset(people.street_ids(user, MANAGER_STREET_ROLES)),
            community_ids=frozenset(community_ids),
            unit_ids=frozenset(set(unit_ids) - set(committees)),
            member_ids=frozenset(
                MemberCheckin.objects.filter(user=user, is_active=True).values_list("pk", flat=True)
            ),
        )
    user._checkin_reach = result
    return result


def territory_q(r: Reach, *, street: str = "street", community: str = "community") -> Q:
    """Rows of the communities the user sees as staff (not their own organisation's or their own)."""
    if r.everything:
        return Q()
    q = Q(pk__in=[])
    for prefix in r.district_prefixes:
        q |= Q(**{f"{street}__code__startswith": prefix})
    if r.view_street_ids:
        q |= Q(**{f"{street}_id__in": r.view_street_ids})
    if r.community_ids:
        q |= Q(**{f"{community}_id__in": r.community_ids})
    return q


def may_manage(user, community: Division | None) -> bool:
    """Register check-ins, publish needs, confirm services in this community."""
    if community is None:
        return False
    r = reach(user)
    if r.everything:
        return True
    if community.pk in r.community_ids or community.parent_id in r.manage_street_ids:
        return True
    return any(community.code.startswith(p) for p in r.district_prefixes)


def require_manager(user, community: Division | None) -> None:
    if not may_manage(user, community):
        raise Forbidden("您不能管理该社区的双报到 / You may not manage check-ins of this community")


def require_checkin_user(user) -> Reach:
    """Staff of the district, or a checked-in member (the member pages); anyone else: Forbidden."""
    require_member(user)
    r = reach(user)
    if not (r.is_staff or r.member_ids):
        raise Forbidden("此页面仅供工作人员和报到成员使用 / This page is for staff and checked-in members")
    return r


def require_checkin_staff(user) -> Reach:
    require_member(user)
    r = reach(user)
    if not r.is_staff:
        raise Forbidden("此页面仅供工作人员使用 / This page is for staff")
    return r


# --- what each user sees ----------------------------------------------------------------------------


def visible_organisations(user):
    r = reach(user)
    q = territory_q(r)
    if r.unit_ids:
        q |= Q(unit_id__in=r.unit_ids)
    if r.member_ids:
        q |= Q(members__pk__in=r.member_ids)
    qs = OrganisationCheckin.objects.filter(q)
    return qs.distinct() if r.member_ids else qs


def visible_members(user):
    r = reach(user)
    q = territory_q(r)
    if r.unit_ids:
        q |= Q(organisation__unit_id__in=r.unit_ids)
    if r.member_ids:
        q |= Q(pk__in=r.member_ids)
    return MemberCheckin.objects.filter(q)


def visible_records(user):
    r = reach(user)
    q = territory_q(r)
    if r.unit_ids:
        q |= Q(organisation__unit_id__in=r.unit_ids)
    if r.member_ids:
        q |= Q(member_id__in=r.member_ids)
    return ServiceRecord.objects.filter(q)


def member_communities(r: Reach) -> set[int]:
    return set(MemberCheckin.objects.filter(pk__in=r.member_ids).values_list("community_id", flat=True))


def visible_needs(user):
    """Staff: their territory's needs; members: the open needs of their communities and what they took."""
    r = reach(user)
    q = territory_q(r)
    if r.member_ids:
        q |= Q(community_id__in=member_communities(r), state=NeedState.OPEN)
        q |= Q(pk__in=Need.objects.filter(takings__member_id__in=r.member_ids).values("pk"))
    return Need.objects.filter(q)


def visible_posts(user):
    r = reach(user)
    q = territory_q(r)
    if r.member_ids:
        q |= Q(community_id__in=member_communities(r))
    return ServicePost.objects.filter(q)


def _pk(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} {value} not found") from None


def access_member(user, member_id):
    require_member(user)
    pk = _pk(member_id, "Member")
    member = (
        visible_members(user)
        .select_related("community", "street", "organisation", "user")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise NotFound(f"报到成员 {member_id} 不存在 / Member {member_id} not found")
    return member


def access_organisation(user, organisation_id):
    require_member(user)
    pk = _pk(organisation_id, "Organisation")
    org = visible_organisations(user).select_related("community", "street", "unit").filter(pk=pk).first()
    if org is None:
        raise NotFound(f"报到组织 {organisation_id} 不存在 / Organisation {organisation_id} not found")
    return org


def access_need(user, need_id):
    require_member(user)
    pk = _pk(need_id, "Need")
    need = visible_needs(user).select_related("community", "street", "demand").filter(pk=pk).first()
    if need is None:
        raise NotFound(f"需求 {need_id} 不存在 / Need {need_id} not found")
    return need


def access_record(user, record_id):
    require_member(user)
    pk = _pk(record_id, "Service record")
    record = (
        visible_records(user).select_related("member", "community", "street", "need").filter(pk=pk).first()
    )
    if record is None:
        raise NotFound(f"服务记录 {record_id} 不存在 / Service record {record_id} not found")
    return record


def access_post(user, post_id):
    require_member(user)
    pk = _pk(post_id, "Service post")
    post = visible_posts(user).select_related("community").filter(pk=pk).first()
    if post is None:
        raise NotFound(f"服务站 {post_id} 不存在 / Service post {post_id} not found")
    return post
