"""Who sees what of 双报到, members' phones masked by role (unmasking logged), and the grid helpers' channel."""

from __future__ import annotations

import pytest

from shaobao.checkin import actions, grid_helpers, privacy, selectors
from shaobao.checkin.access import access_member, visible_members, visible_needs
from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound
from shaobao.core.models import Event, PersonalDataAccess
from shaobao.intake import actions as intake_actions
from shaobao.intake.models import Demand

pytestmark = pytest.mark.django_db


def _ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_street_and_its_communities_see_their_own_the_district_sees_all(ci):
    far = actions.do_check_in_member(
        actor=ci.users["dispatcher_b"], community_code=ci.community_b1.code, name="赵六", phone="13700000000"
    )
    here = {ci.member.pk, ci.rider.pk}
    assert _ids(visible_members(ci.users["dispatcher"])) == here
    assert _ids(visible_members(ci.users["grid_worker"])) == here
    assert _ids(visible_members(ci.users["committee_handler"])) == here
    assert _ids(visible_members(ci.users["dispatcher_b"])) == {far.pk}
    assert _ids(visible_members(ci.users["coordinator"])) == here | {far.pk}
    # the lead department sees its own organisation's member; a resident and an outsider nothing
    assert _ids(visible_members(ci.users["lead_handler"])) == {ci.member.pk}
    assert _ids(visible_members(ci.users["resident"])) == set()
    assert _ids(visible_members(ci.users["outsider"])) == set()
    # a member: their own record only
    assert _ids(visible_members(ci.users["member_user"])) == {ci.member.pk}
    with pytest.raises(NotFound):
        access_member(ci.users["member_user"], ci.rider.pk)


def test_members_see_the_open_needs_of_their_community(ci):
    staff = ci.users["dispatcher"]
    open_here = actions.do_publish_need(actor=staff, community_code=ci.community_a1.code, title="陪老人就医")
    closed_here = actions.do_publish_need(actor=staff, community_code=ci.community_a1.code, title="已结束")
    actions.do_close_need(actor=staff, need_id=closed_here.pk)
    elsewhere = actions.do_publish_need(
        actor=ci.users["dispatcher_b"], community_code=ci.community_b1.code, title="别处"
    )
    assert _ids(visible_needs(ci.users["member_user"])) == {open_here.pk}
    assert _ids(visible_needs(ci.users["dispatcher"])) == {open_here.pk, closed_here.pk}
    assert _ids(visible_needs(ci.users["coordinator"])) == {open_here.pk, closed_here.pk, elsewhere.pk}


def test_only_managers_publish_needs(ci):
    for who in ("grid_worker", "lead_handler", "member_user", "dispatcher_b"):
        with pytest.raises(Forbidden):
            actions.do_publish_need(actor=ci.users[who], community_code=ci.community_a1.code, title="x")


def test_members_phones_are_masked_for_roles_that_do_not_need_them(ci):
    for who in ("dispatcher", "committee_handler", "coordinator"):
        contact = privacy.member_contact(ci.users[who], ci.member)
        assert contact == {"name": "李红梅", "phone": "139****1111", "masked": True, "may_reveal": True}
    for who in ("grid_worker", "lead_handler"):
        contact = privacy.member_contact(ci.users[who], ci.member)
        assert contact == {"name": "李**", "phone": "139****1111", "masked": True, "may_reveal": False}
        with pytest.raises(Forbidden):
            privacy.member_contact(ci.users[who], ci.member, reveal=True)
    assert not PersonalDataAccess.objects.exists()
    # the member sees their own details
    assert privacy.member_contact(ci.users["member_user"], ci.member)["phone"] == "13900001111"


def test_unmasking_a_members_phone_is_logged(ci):
    contact = privacy.member_contact(ci.users["dispatcher"], ci.member, reveal=True, purpose="安排服务")
    assert contact["phone"] == "13900001111"
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.subject_type, log.subject_id) == (
        ci.users["dispatcher"],
        "checkin.membercheckin",
        ci.member.pk,
    )
    assert Event.objects.filter(action="reveal_contact", subject_id=ci.member.pk).exists()


def test_searching_by_phone_works_only_where_the_phone_may_be_seen(ci):
    assert [m.pk for m in selectors.members_for(ci.users["dispatcher"], q="1111")] == [ci.member.pk]
    assert list(selectors.members_for(ci.users["grid_worker"], q="1111")) == []
    assert list(selectors.members_for(ci.users["lead_handler"], q="李红梅")) == []
    assert [m.pk for m in selectors.members_for(ci.users["grid_worker"], q="理发")] == [ci.member.pk]


def test_a_new_employment_report_becomes_a_demand_in_its_own_channel(ci):
    demand = grid_helpers.do_report_as_grid_helper(
        actor=ci.users["rider_user"],
        subject="井盖缺失",
        body="送餐路过承平里3号楼门口，井盖不见了，很危险。",
        lat=40.145,
        lng=117.105,
    )
    demand.refresh_from_db()
    assert demand.channel == "new_employment"
    assert demand.created_by == ci.users["rider_user"]
    assert (demand.street, demand.community, demand.grid) == (ci.street_a, ci.community_a1, ci.grid_a1)
    assert demand.state == "received"
    assert list(grid_helpers.reports_of(ci.users["rider_user"])) == [demand]


def test_only_new_employment_members_use_the_channel(ci):
    values = {"channel": "new_employment", "kind": "report", "subject": "路灯不亮", "body": "路灯坏了"}
    with pytest.raises(Forbidden):  # a party member is not a grid helper of this channel
        grid_helpers.do_report_as_grid_helper(actor=ci.users["member_user"], subject="x", body="y")
    with pytest.raises(Forbidden):
        intake_actions.do_receive_demand(actor=ci.users["member_user"], **values)
    with pytest.raises(Forbidden):  # nor other channels for the rider
        intake_actions.do_receive_demand(actor=ci.users["rider_user"], **{**values, "channel": "grid_patrol"})
    with pytest.raises(NotAuthenticated):
        intake_actions.do_receive_demand(actor=None, **values)
    actions.do_set_member_active(actor=ci.users["dispatcher"], member_id=ci.rider.pk, active=False)
    ci.users["rider_user"].refresh_from_db()
    with pytest.raises(Forbidden):  # the check-in ended
        intake_actions.do_receive_demand(actor=ci.users["rider_user"], **values)
    assert not Demand.objects.exists()
