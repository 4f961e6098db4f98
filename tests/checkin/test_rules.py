"""The rules of 双报到: once per community, taking needs, recording and confirming services, person-times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shaobao.checkin import actions, selectors
from shaobao.checkin.models import MemberCheckin, Need, NeedTaking, OrganisationCheckin, ServiceRecord
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.models import Event
from shaobao.org.models import Membership

pytestmark = pytest.mark.django_db


def test_member_checked_in_twice_to_the_same_community_is_refused_and_nothing_written(ci):
    before = (MemberCheckin.objects.count(), Event.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        actions.do_check_in_member(
            actor=ci.users["dispatcher"],
            community_code=ci.community_a1.code,
            name="李红梅",
            phone="139-0000-1111",  # the same phone, written otherwise
        )
    assert exc.value.fields == {"community": "already_checked_in"}
    assert (MemberCheckin.objects.count(), Event.objects.count()) == before


def test_the_same_account_cannot_check_in_twice_to_a_community(ci):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_check_in_member(
            actor=ci.users["dispatcher"],
            community_code=ci.community_a1.code,
            name="李红梅",
            phone="13900009999",
            username="member_user",
        )
    assert exc.value.fields == {"community": "already_checked_in"}


def test_a_member_may_check_in_to_another_community(ci):
    other = actions.do_check_in_member(
        actor=ci.users["coordinator"], community_code=ci.community_b1.code, name="李红梅", phone="13900001111"
    )
    assert other.community == ci.community_b1
    assert other.street == ci.street_b


def test_an_account_checked_in_gets_the_member_role_in_the_community(ci):
    assert Membership.objects.filter(
        user=ci.users["member_user"], role="checkin_member", division=ci.community_a1
    ).exists()


def test_an_organisation_checks_in_once_per_community(ci):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_check_in_organisation(
            actor=ci.users["dispatcher"], community_code=ci.community_a1.code, unit_code=ci.lead_unit.code
        )
    assert exc.value.fields == {"community": "already_checked_in"}
    assert OrganisationCheckin.objects.count() == 1


def test_bad_input_names_every_field(ci):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_check_in_member(
            actor=ci.users["dispatcher"], community_code="999", name="", phone="abc", kind="astronaut"
        )
    assert set(exc.value.fields) == {"community", "name", "phone", "kind"}


def test_a_unit_registers_its_own_organisation_but_not_another(ci):
    handler = ci.users["supporting_handler"]
    org = actions.do_check_in_organisation(
        actor=handler, community_code=ci.community_a1.code, unit_code=ci.supporting_unit.code
    )
    assert org.name == ci.supporting_unit.name
    with pytest.raises(Forbidden):
        actions.do_check_in_organisation(actor=handler, community_code=ci.community_a1.code, name="别的组织")


def test_another_streets_dispatcher_cannot_check_in_here(ci):
    with pytest.raises(Forbidden):
        actions.do_check_in_member(
            actor=ci.users["dispatcher_b"],
            community_code=ci.community_a1.code,
            name="张三",
            phone="13800000000",
        )


def _need(ci, places=1, **kw):
    return actions.do_publish_need(
        actor=ci.users["committee_handler"],
        community_code=ci.community_a1.code,
        title="帮独居老人买药",
        kind="small_wish",
        places=places,
        **kw,
    )


def test_members_take_needs_until_every_place_is_taken(ci):
    need = _need(ci, places=2)
    actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    need.refresh_from_db()
    assert need.state == "open"
    with pytest.raises(Conflict):
        actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    actions.do_take_need(actor=ci.users["rider_user"], need_id=need.pk)
    need.refresh_from_db()
    assert need.state == "taken"
    assert NeedTaking.objects.filter(need=need).count() == 2


def test_a_taken_need_cannot_be_taken_again(ci):
    need = _need(ci)
    actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    with pytest.raises(Conflict):
        actions.do_take_need(actor=ci.users["dispatcher"], need_id=need.pk, member_id=ci.rider.pk)


def test_a_member_of_another_community_cannot_take_the_need(ci):
    stranger = actions.do_check_in_member(
        actor=ci.users["dispatcher_b"], community_code=ci.community_b1.code, name="赵六", phone="13700000000"
    )
    need = _need(ci)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_take_need(actor=ci.users["coordinator"], need_id=need.pk, member_id=stranger.pk)
    assert exc.value.fields == {"member": "other_community"}


def test_a_self_handled_demand_need_links_a_demand_of_the_street(ci):
    from tests.intake.flow import new_demand

    demand = new_demand(ci, lat=40.145, lng=117.105)
    need = actions.do_publish_need(
        actor=ci.users["dispatcher"],
        community_code=ci.community_a1.code,
        title="清理楼道杂物",
        kind="self_handled_demand",
        demand_id=demand.pk,
    )
    assert need.demand == demand
    with pytest.raises(ValidationFailed) as exc:
        actions.do_publish_need(
            actor=ci.users["dispatcher"],
            community_code=ci.community_a1.code,
            title="x",
            kind="self_handled_demand",
        )
    assert exc.value.fields == {"demand": "required"}


def test_service_with_the_residents_code_is_confirmed_at_once(ci):
    need = _need(ci)
    actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    record = actions.do_record_service(
        actor=ci.users["member_user"],
        need_id=need.pk,
        what="送药上门",
        hours="1.5",
        confirmation_code=need.confirmation_code,
    )
    assert (record.state, record.confirm_method) == ("confirmed", "code")
    assert record.organisation == ci.org


def test_a_wrong_code_is_refused_and_nothing_recorded(ci):
    need = _need(ci)
    actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    wrong = "000000" if need.confirmation_code != "000000" else "111111"
    with pytest.raises(ValidationFailed) as exc:
        actions.do_record_service(
            actor=ci.users["member_user"], need_id=need.pk, what="送药", hours=1, confirmation_code=wrong
        )
    assert exc.value.fields == {"confirmation_code": "wrong"}
    assert not ServiceRecord.objects.exists()


def test_a_member_records_only_needs_they_took(ci):
    need = _need(ci)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_record_service(actor=ci.users["member_user"], need_id=need.pk, what="送药", hours=1)
    assert exc.value.fields == {"need": "not_taken"}


def test_service_without_code_waits_for_the_community_and_counts_once_confirmed(ci):
    period = selectors.default_period()
    record = actions.do_record_service(actor=ci.users["member_user"], what="义务理发", hours="2")
    assert record.state == "recorded"
    assert selectors.totals(ci.users["dispatcher"], period)["person_times"] == 0
    with pytest.raises(Forbidden):
        actions.do_confirm_service(actor=ci.users["member_user"], record_id=record.pk)
    with pytest.raises(NotFound):  # another street's: not even visible
        actions.do_confirm_service(actor=ci.users["dispatcher_b"], record_id=record.pk)
    actions.do_confirm_service(actor=ci.users["committee_handler"], record_id=record.pk)
    record.refresh_from_db()
    assert (record.state, record.confirm_method) == ("confirmed", "staff")
    assert selectors.totals(ci.users["dispatcher"], period) == {
        "person_times": 1,
        "hours": Decimal("2.0"),
        "pending": 0,
    }
    month = period.last.replace(day=1)
    assert selectors.members_who_served(ci.users["dispatcher"], month) == 1
    with pytest.raises(Conflict):
        actions.do_confirm_service(actor=ci.users["dispatcher"], record_id=record.pk)


def test_person_times_per_member_organisation_and_community(ci):
    staff = ci.users["dispatcher"]
    for hours in ("1", "2.5"):
        r = actions.do_record_service(actor=staff, member_id=ci.member.pk, what="法律咨询", hours=hours)
        actions.do_confirm_service(actor=staff, record_id=r.pk)
    r = actions.do_record_service(actor=staff, member_id=ci.rider.pk, what="送餐", hours="1")
    actions.do_confirm_service(actor=staff, record_id=r.pk)
    actions.do_record_service(actor=staff, member_id=ci.rider.pk, what="未确认", hours="3")  # not counted
    old = actions.do_record_service(
        actor=staff,
        member_id=ci.rider.pk,
        what="上月",
        hours="4",
        served_on=timezone.localdate() - dt.timedelta(days=60),
    )
    actions.do_confirm_service(actor=staff, record_id=old.pk)  # outside the period
    rejected = actions.do_record_service(actor=staff, member_id=ci.rider.pk, what="没做", hours="1")
    actions.do_confirm_service(actor=staff, record_id=rejected.pk, confirmed=False)
    period = selectors.default_period()
    by_member = {
        r["id"]: (r["person_times"], r["hours"])
        for r in selectors.members_of_month(staff, period.last.replace(day=1))
    }
    assert by_member == {ci.member.pk: (2, Decimal("3.5")), ci.rider.pk: (1, Decimal("1.0"))}
    by_org = selectors.person_times_by(staff, period, "organisation")
    assert [(r["id"], r["person_times"], r["hours"]) for r in by_org] == [(ci.org.pk, 2, Decimal("3.5"))]
    by_community = selectors.person_times_by(staff, period, "community")
    assert [(r["id"], r["person_times"]) for r in by_community] == [(ci.community_a1.pk, 3)]
    members = selectors.with_service_totals([ci.member, ci.rider], period)
    assert [(m.person_times, m.hours) for m in members] == [(2, Decimal("3.5")), (1, Decimal("1.0"))]


def test_hours_and_dates_are_checked(ci):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_record_service(
            actor=ci.users["member_user"],
            what="",
            hours="25",
            served_on=(timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        )
    assert set(exc.value.fields) == {"what", "hours", "served_on"}


def test_closing_a_need_ends_taking(ci):
    need = _need(ci)
    actions.do_close_need(actor=ci.users["dispatcher"], need_id=need.pk)
    with pytest.raises(Conflict):
        actions.do_take_need(actor=ci.users["dispatcher"], need_id=need.pk, member_id=ci.member.pk)
    with pytest.raises(NotFound):  # a member sees the open needs of their community only
        actions.do_take_need(actor=ci.users["member_user"], need_id=need.pk)
    assert Need.objects.get(pk=need.pk).state == "closed"


def test_service_posts_schedule_members_of_the_community(ci):
    staff = ci.users["dispatcher"]
    post = actions.do_add_post(actor=staff, community_code=ci.community_a1.code, name="承平里党群服务站")
    actions.do_add_shift(
        actor=staff, post_id=post.pk, member_id=ci.member.pk, weekday=2, starts_at="09:00", ends_at="11:30"
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.do_add_shift(
            actor=staff,
            post_id=post.pk,
            member_id=ci.member.pk,
            weekday=2,
            starts_at="09:00",
            ends_at="10:00",
        )
    assert exc.value.fields == {"starts_at": "duplicate"}
    with pytest.raises(ValidationFailed) as exc:
        actions.do_add_shift(
            actor=staff,
            post_id=post.pk,
            member_id=ci.member.pk,
            weekday=3,
            starts_at="12:00",
            ends_at="11:00",
        )
    assert exc.value.fields == {"ends_at": "before_start"}
    posts = selectors.schedule_of(ci.users["member_user"])
    assert [(p.name, [(s.weekday, s.member_id) for s in p.shift_list]) for p in posts] == [
        ("承平里党群服务站", [(2, ci.member.pk)])
    ]


def test_coverage_counts_checked_in_organisations_and_members_per_community(ci):
    rows = {r["code"]: r for r in selectors.coverage(ci.users["coordinator"])}
    a1 = rows[ci.community_a1.code]
    assert (a1["organisations"], a1["members"], a1["new_employment"]) == (1, 2, 1)
    assert rows[ci.community_b1.code]["members"] == 0
    panel = selectors.board_panel(ci.users["coordinator"])
    assert (panel["organisations"], panel["members"], panel["covered"], panel["communities"]) == (1, 2, 1, 2)
