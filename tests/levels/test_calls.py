"""乡呼县应 end to end: a street calls its county centre, the centre assigns departments, they report in
and finish under the whistles' rules, the street verifies and rates; the county calls the city the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shaobao.calls import actions
from shaobao.calls.models import Call, CallAssignment, CallRating
from shaobao.core.calendar import add_working_days
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.org import acting
from tests.levels.conftest import fresh


def raise_call(city, persona="dispatcher", caller=None, **kw):
    caller = caller or city.world.street_a
    return actions.do_raise_call(
        actor=city.users[persona],
        caller_code=caller.code,
        subject=kw.pop("subject", "河道跨区污染"),
        body=kw.pop("body", "上游排污，本街乡和区属单位无法处置"),
        **kw,
    )


def as_user(city, persona, area=None):
    user = fresh(city.users[persona])
    if area:
        acting.request_area(user, area)
    return user


def visible(user):
    return set(Call.objects.visible_to(user).values_list("pk", flat=True))


def test_a_street_calls_its_county_and_the_call_is_seen_only_by_its_levels(city):
    call = raise_call(city)
    assert (call.caller, call.centre, call.level, call.state) == (
        city.world.street_a,
        city.world.district,
        "county",
        "raised",
    )
    assert call.pk in visible(as_user(city, "dispatcher"))
    assert call.pk in visible(as_user(city, "coordinator"))
    assert call.pk in visible(as_user(city, "city_coordinator"))  # acting in the city: the levels below
    # Another township, another county, another county's department: nothing.
    assert call.pk not in visible(as_user(city, "dispatcher_b"))
    assert call.pk not in visible(as_user(city, "miyun_coordinator"))
    assert call.pk not in visible(as_user(city, "miyun_dispatcher"))
    assert call.pk not in visible(as_user(city, "city_coordinator", "110118"))  # acting in Miyun
    assert call.pk in visible(as_user(city, "city_coordinator", "110117"))


def test_only_a_street_s_own_staff_call_for_it_and_input_errors_name_the_field(city):
    with pytest.raises(Forbidden):
        raise_call(city, persona="dispatcher_b")
    with pytest.raises(ValidationFailed) as exc:
        actions.do_raise_call(
            actor=city.users["dispatcher"],
            caller_code=city.world.street_a.code,
            subject="",
            body="",
            type="x",
        )
    assert {"subject", "body", "type"} <= set(exc.value.fields)
    assert Call.objects.count() == 0


def test_the_county_assigns_only_its_own_departments_with_the_whistles_deadlines(city):
    call = raise_call(city)
    coordinator = as_user(city, "coordinator")
    with pytest.raises(Forbidden):
        actions.do_assign(actor=city.users["dispatcher"], call_id=call.pk, lead_unit_code="CGZF")
    with pytest.raises(NotFound):
        actions.do_assign(actor=city.users["miyun_coordinator"], call_id=call.pk, lead_unit_code="MY-CG")
    for wrong in ("MY-CG", "BH-CG", "CITY-ZJW"):  # another county's, the township's own, the city's
        with pytest.raises(ValidationFailed) as exc:
            actions.do_assign(actor=coordinator, call_id=call.pk, lead_unit_code=wrong)
        assert "lead_unit" in exc.value.fields
    before = timezone.now()
    actions.do_assign(
        actor=coordinator, call_id=call.pk, lead_unit_code="CGZF", supporting_unit_codes=["ZJW"]
    )
    call.refresh_from_db()
    assert call.state == "assigned"
    lead = call.assignments.get(role="lead")
    assert lead.unit.code == "CGZF"
    assert before + dt.timedelta(hours=24) <= lead.report_in_due <= timezone.now() + dt.timedelta(hours=24)
    assert add_working_days(lead.assigned_at, 7) == lead.finish_due  # routine: 7 working days
    with pytest.raises(Conflict):
        actions.do_assign(actor=coordinator, call_id=call.pk, lead_unit_code="ZJW")


def test_the_chain_report_in_finish_verify_and_rate(city):
    call = raise_call(city)
    actions.do_assign(
        actor=city.users["coordinator"], call_id=call.pk, lead_unit_code="CGZF", supporting_unit_codes=["ZJW"]
    )
    lead = call.assignments.get(role="lead")
    support = call.assignments.get(role="supporting")
    with pytest.raises(Forbidden):
        actions.do_report_in(actor=city.users["supporting_handler"], assignment_id=lead.pk)
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    call.refresh_from_db()
    assert call.state == "handling"
    actions.do_report_in(actor=city.users["supporting_handler"], assignment_id=support.pk)
    with pytest.raises(Conflict):
        actions.do_finish(actor=city.users["lead_handler"], assignment_id=lead.pk, note="已处置")
    actions.do_finish(actor=city.users["supporting_handler"], assignment_id=support.pk, note="配合完成")
    actions.do_finish(actor=city.users["lead_handler"], assignment_id=lead.pk, note="已封堵排污口")
    call.refresh_from_db()
    assert call.state == "fed_back" and call.result == "已封堵排污口"
    with pytest.raises(NotFound):
        actions.do_verify(actor=city.users["dispatcher_b"], call_id=call.pk, passed=True)
    with pytest.raises(Forbidden):  # the centre sees it, but only the caller verifies
        actions.do_verify(actor=city.users["coordinator"], call_id=call.pk, passed=True)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_verify(actor=city.users["dispatcher"], call_id=call.pk, passed=True, ratings={"CGZF": 5})
    assert "ratings.ZJW" in exc.value.fields
    assert not CallRating.objects.exists()
    actions.do_verify(
        actor=city.users["dispatcher"], call_id=call.pk, passed=True, ratings={"CGZF": 4, "ZJW": "5"}
    )
    call.refresh_from_db()
    assert call.state == "closed"
    assert dict(CallRating.objects.values_list("unit__code", "score")) == {"CGZF": 4, "ZJW": 5}


def test_a_failed_verification_sends_the_lead_back_with_a_fresh_clock(city):
    call = raise_call(city)
    actions.do_assign(actor=city.users["coordinator"], call_id=call.pk, lead_unit_code="CGZF")
    lead = call.assignments.get()
    actions.do_report_in(actor=city.users["lead_handler"], assignment_id=lead.pk)
    actions.do_finish(actor=city.users["lead_handler"], assignment_id=lead.pk, note="处理了")
    actions.do_verify(actor=city.users["dispatcher"], call_id=call.pk, passed=False, note="仍在排污")
    call.refresh_from_db()
    lead.refresh_from_db()
    assert (call.state, call.rework_count, lead.state) == ("handling", 1, "reported_in")
    assert lead.finish_due > timezone.now() + dt.timedelta(days=1)


def test_dispute_and_arbitration_by_the_county_centre(city):
    call = raise_call(city)
    actions.do_assign(actor=city.users["coordinator"], call_id=call.pk, lead_unit_code="ZJW")
    a = call.assignments.get()
    actions.do_dispute(actor=city.users["supporting_handler"], assignment_id=a.pk, reason="不属我委职责")
    with pytest.raises(ValidationFailed) as exc:
        actions.do_arbitrate(actor=city.users["coordinator"], assignment_id=a.pk, decision="uphold")
    assert "reassign_to" in exc.value.fields
    with pytest.raises(Forbidden):
        actions.do_arbitrate(actor=city.users["dispatcher"], assignment_id=a.pk, decision="reject")
    actions.do_arbitrate(
        actor=city.users["coordinator"], assignment_id=a.pk, decision="uphold", reassign_to="CGZF"
    )
    a.refresh_from_db()
    assert a.state == "withdrawn"
    assert call.assignments.get(state="summoned").unit.code == "CGZF"


def test_the_county_calls_the_city_and_the_answer_comes_back_down(city):
    call = raise_call(city)
    coordinator = city.users["coordinator"]
    actions.do_call_up(actor=coordinator, call_id=call.pk, note="涉及跨区河道，需市级协调")
    call.refresh_from_db()
    assert call.state == "called_up"
    child = Call.objects.get(parent=call)
    assert (child.caller, child.centre, child.level) == (city.world.district, city.city, "city")
    # The city sees it (acting in the city); a Miyun coordinator and Pinggu's streets do not see the city call.
    city_user = as_user(city, "city_coordinator", "1101")
    assert child.pk in visible(city_user)
    assert child.pk not in visible(as_user(city, "miyun_coordinator"))
    assert child.pk not in visible(as_user(city, "dispatcher"))
    # Acting in Pinggu, the city coordinator is a district coordinator: not the city centre.
    with pytest.raises(Forbidden):
        actions.do_assign(
            actor=as_user(city, "city_coordinator", "110117"), call_id=child.pk, lead_unit_code="CITY-ZJW"
        )
    with pytest.raises(ValidationFailed):
        actions.do_assign(actor=city_user, call_id=child.pk, lead_unit_code="CGZF")  # a county department
    actions.do_assign(actor=city_user, call_id=child.pk, lead_unit_code="CITY-ZJW")
    with pytest.raises(Conflict):
        actions.do_call_up(actor=city_user, call_id=child.pk, note="再上呼")
    a = child.assignments.get()
    handler = city.users["city_zjw_handler"]
    actions.do_report_in(actor=handler, assignment_id=a.pk)
    actions.do_finish(actor=handler, assignment_id=a.pk, note="市级协调上游治理")
    # The county verifies the city's answer and rates the city department.
    actions.do_verify(actor=coordinator, call_id=child.pk, passed=True, ratings={"CITY-ZJW": 3})
    call.refresh_from_db()
    assert call.state == "fed_back" and call.result == "市级协调上游治理"
    actions.do_verify(actor=city.users["dispatcher"], call_id=call.pk, passed=True, ratings={})
    call.refresh_from_db()
    assert call.state == "closed"
    assert CallRating.objects.get().unit.code == "CITY-ZJW"


def test_a_township_cannot_call_the_city_directly_nor_a_department_call_at_all(city):
    with pytest.raises(Forbidden):
        actions.do_raise_call(
            actor=city.users["dispatcher"], caller_code=city.world.district.code, subject="x", body="y"
        )
    with pytest.raises(Forbidden):
        raise_call(city, persona="lead_handler")
    call = raise_call(city, persona="coordinator", caller=city.world.district)
    assert call.centre == city.city and call.level == "city"


def test_assignment_steps_are_refused_to_other_counties(city):
    call = raise_call(city)
    actions.do_assign(actor=city.users["coordinator"], call_id=call.pk, lead_unit_code="CGZF")
    a = CallAssignment.objects.get()
    with pytest.raises(NotFound):
        actions.do_report_in(actor=city.users["my_cg_handler"], assignment_id=a.pk)
    # The unit serving two counties acts in Miyun: not its Pinggu assignment.
    with pytest.raises(NotFound):
        actions.do_report_in(actor=as_user(city, "two_counties", "110118"), assignment_id=a.pk)
    actions.do_report_in(actor=as_user(city, "two_counties", "110117"), assignment_id=a.pk)
