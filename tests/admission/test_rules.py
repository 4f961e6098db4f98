"""The rules of task admission: the signboard limit, decisions (reason for a refusal, once only, under a
race), approval entering the catalogue, marks reaching the department, permissions by organisation."""

from __future__ import annotations

import datetime as dt

import pytest

from shaobao.admission import actions, selectors
from shaobao.admission.access import catalogue_visible_to, marks_visible_to, requests_visible_to
from shaobao.admission.models import AdmissionRequest, CatalogueEntry, NotAdmittedMark
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.models import Event, Notification
from tests.admission.conftest import today

pytestmark = pytest.mark.django_db


# --- the catalogue ---------------------------------------------------------------------------------------


def test_a_seventh_outside_signboard_is_refused_naming_the_limit(world, add_entry):
    for i in range(6):
        add_entry(name=f"牌子{i}", kind="signboard", outside=True)
    with pytest.raises(ValidationFailed) as exc:
        add_entry(name="第七块牌子", kind="signboard", outside=True)
    assert exc.value.code == "signboard_limit"
    assert "6" in exc.value.fields["outside"]
    assert not CatalogueEntry.objects.filter(name="第七块牌子").exists()
    # Inside signboards and signboards whose period is over do not count.
    add_entry(name="室内制度牌", kind="signboard", outside=False)
    assert CatalogueEntry.objects.filter(kind="signboard").count() == 7


def test_the_signboard_limit_counts_per_community(world, add_entry):
    for i in range(5):
        add_entry(name=f"牌子{i}", kind="signboard", outside=True)
    add_entry(name="承平里专用牌", kind="signboard", outside=True, communities=[world.community_a1])
    # 兴谷社区 carries 5: one more for it alone is fine; one more for every community is the 7th at 承平里.
    add_entry(name="兴谷专用牌", kind="signboard", outside=True, communities=[world.community_b1])
    with pytest.raises(ValidationFailed):
        add_entry(name="全区新牌", kind="signboard", outside=True)
    assert selectors.outside_signboards_of(world.district, world.community_a1) == 6


def test_a_signboard_whose_period_ended_leaves_room(world, add_entry):
    for i in range(6):
        add_entry(
            name=f"旧牌子{i}",
            kind="signboard",
            outside=True,
            valid_from=today() - dt.timedelta(days=400),
            valid_until=today() - dt.timedelta(days=1),
        )
    add_entry(name="新牌子", kind="signboard", outside=True, valid_from=today())


def test_a_period_that_ends_before_it_starts_and_an_unknown_kind_are_refused(world, add_entry):
    with pytest.raises(ValidationFailed) as exc:
        add_entry(kind="nonsense", valid_from=today(), valid_until=today() - dt.timedelta(days=1))
    assert set(exc.value.fields) == {"kind", "valid_until"}
    assert " / " in exc.value.message
    assert CatalogueEntry.objects.count() == 0


def test_only_the_districts_coordinators_seed_the_catalogue(world):
    for persona in ("lead_handler", "dispatcher", "outsider"):
        with pytest.raises(Forbidden):
            actions.do_add_entry(
                actor=world.users[persona],
                district=world.district,
                name="x",
                kind="duty",
                basis="y",
                valid_from=today(),
            )


def test_entries_get_stable_codes_per_kind(world, add_entry):
    assert add_entry(kind="duty").code == "LZ-001"
    assert add_entry(kind="duty", name="第二项").code == "LZ-002"
    assert add_entry(kind="certificate_abolished").code == "QX-001"


# --- requests ----------------------------------------------------------------------------------------


def test_approval_enters_the_catalogue_with_basis_period_and_communities(world, file_request):
    req = file_request(
        kind="task",
        name="协助开展违法建设排查",
        valid_until=today() + dt.timedelta(days=365),
        communities=[world.community_a1],
    )
    assert req.state == "pending" and not req.all_communities
    assert not CatalogueEntry.objects.exists()
    decided = actions.do_decide_request(actor=world.users["coordinator"], request_id=req.pk, approve=True)
    assert decided.state == "approved" and decided.decided_by == world.users["coordinator"]
    entry = CatalogueEntry.objects.get(request=req)
    assert (entry.kind, entry.origin, entry.unit) == ("assisting_duty", "request", world.lead_unit)
    assert entry.basis == req.basis
    assert (entry.valid_from, entry.valid_until) == (req.valid_from, req.valid_until)
    assert list(entry.communities.all()) == [world.community_a1]
    in_a1 = selectors.filter_catalogue(CatalogueEntry.objects.all(), community=world.community_a1)
    in_b1 = selectors.filter_catalogue(CatalogueEntry.objects.all(), community=world.community_b1)
    assert list(in_a1) == [entry] and not in_b1.exists()
    actions_done = set(Event.objects.values_list("action", flat=True))
    assert {"file_admission_request", "approve_admission_request", "add_entry"} <= actions_done


def test_a_refusal_needs_a_reason_and_enters_nothing(world, file_request):
    req = file_request()
    with pytest.raises(ValidationFailed) as exc:
        actions.do_decide_request(
            actor=world.users["coordinator"], request_id=req.pk, approve=False, note="  "
        )
    assert "note" in exc.value.fields
    assert AdmissionRequest.objects.get(pk=req.pk).state == "pending"
    actions.do_decide_request(
        actor=world.users["coordinator"], request_id=req.pk, approve=False, note="属于部门自身职责，不得转嫁"
    )
    req.refresh_from_db()
    assert req.state == "refused" and req.decision_note == "属于部门自身职责，不得转嫁"
    assert not CatalogueEntry.objects.exists()
    assert list(selectors.refusals(world.users["coordinator"], world.district)) == [req]


def test_deciding_twice_is_a_conflict(world, file_request):
    req = file_request()
    actions.do_decide_request(actor=world.users["coordinator"], request_id=req.pk, approve=True)
    for approve, note in ((True, ""), (False, "不同意")):
        with pytest.raises(Conflict) as exc:
            actions.do_decide_request(
                actor=world.users["admin"], request_id=req.pk, approve=approve, note=note
            )
        assert exc.value.status == 409 and exc.value.code == "already_decided"
    assert CatalogueEntry.objects.count() == 1


def test_an_outside_signboard_request_is_refused_when_six_are_up(world, add_entry, file_request):
    for i in range(5):
        add_entry(name=f"牌子{i}", kind="signboard", outside=True)
    first = file_request(kind="signboard", name="城管执法联络点", outside=True)
    second = file_request(kind="signboard", name="城管宣传栏", outside=True)
    actions.do_decide_request(actor=world.users["coordinator"], request_id=first.pk, approve=True)
    with pytest.raises(ValidationFailed) as exc:
        actions.do_decide_request(actor=world.users["coordinator"], request_id=second.pk, approve=True)
    assert exc.value.code == "signboard_limit"
    assert AdmissionRequest.objects.get(pk=second.pk).state == "pending"  # nothing written
    with pytest.raises(ValidationFailed):
        file_request(kind="signboard", name="第八块", outside=True)


def test_only_a_departments_staff_file_for_it(world, file_request):
    for persona in ("supporting_handler", "dispatcher", "coordinator", "outsider", "resident"):
        with pytest.raises(Forbidden):
            file_request(persona=persona)
    assert file_request(persona="lead_leader").unit == world.lead_unit


def test_bad_request_input_names_each_field_and_writes_nothing(world, file_request):
    with pytest.raises(ValidationFailed) as exc:
        file_request(
            kind="parade",
            name="",
            reason="",
            valid_from="2026-13-01",
            communities=["110105001001"],
        )
    assert set(exc.value.fields) == {"kind", "name", "reason", "valid_from", "communities"}
    with pytest.raises(ValidationFailed) as exc:
        file_request(valid_from=today(), valid_until=today() - dt.timedelta(days=1))
    assert set(exc.value.fields) == {"valid_until"}
    assert not AdmissionRequest.objects.exists()


def test_only_the_districts_coordinators_decide(world, file_request):
    req = file_request()
    for persona in ("lead_handler", "lead_leader"):
        with pytest.raises(Forbidden):
            actions.do_decide_request(actor=world.users[persona], request_id=req.pk, approve=True)
    for persona in ("outsider", "dispatcher", "supporting_handler"):  # they do not even see it
        with pytest.raises(NotFound):
            actions.do_decide_request(actor=world.users[persona], request_id=req.pk, approve=True)
    assert AdmissionRequest.objects.get(pk=req.pk).state == "pending"


def test_requests_are_seen_by_their_department_and_the_district_only(world, file_request):
    req = file_request()
    assert list(requests_visible_to(world.users["lead_handler"])) == [req]
    assert list(requests_visible_to(world.users["coordinator"])) == [req]
    for persona in ("supporting_handler", "outsider", "dispatcher"):
        assert not requests_visible_to(world.users[persona]).exists()


def test_filing_notifies_the_coordinators_and_deciding_the_department(
    world, file_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = file_request()
    assert Notification.objects.filter(user=world.users["coordinator"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_decide_request(
            actor=world.users["coordinator"], request_id=req.pk, approve=False, note="无依据"
        )
    assert Notification.objects.filter(user=world.users["lead_leader"], text__contains="无依据").exists()


def test_the_catalogue_is_read_within_the_district(world, add_entry):
    entry = add_entry()
    for persona in ("dispatcher", "lead_handler", "coordinator", "section_handler"):
        assert list(catalogue_visible_to(world.users[persona])) == [entry]
    assert not catalogue_visible_to(world.users["outsider"]).exists()


# --- not-admitted marks --------------------------------------------------------------------------------


def _mark(world, persona="dispatcher", community=None, **kw):
    kw.setdefault("task", "要求社区出具居民无犯罪记录证明")
    kw.setdefault("received_on", today())
    kw.setdefault("ground", "absent")
    return actions.do_mark_not_admitted(
        actor=world.users[persona], community=community or world.community_a1, unit=world.lead_unit, **kw
    )


def test_a_mark_is_seen_by_the_department_concerned(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark = _mark(world)
    assert list(marks_visible_to(world.users["lead_handler"])) == [mark]
    assert list(marks_visible_to(world.users["coordinator"])) == [mark]
    assert list(marks_visible_to(world.users["street_leader"])) == [mark]
    for persona in ("supporting_handler", "dispatcher_b", "outsider"):
        assert not marks_visible_to(world.users[persona]).exists()
    assert Notification.objects.filter(user=world.users["lead_handler"], text__contains="未准入").exists()
    acknowledged = actions.do_acknowledge_mark(
        actor=world.users["lead_leader"], mark_id=mark.pk, answer="已撤回"
    )
    assert acknowledged.acknowledged_at is not None and acknowledged.answer == "已撤回"
    with pytest.raises(Conflict):
        actions.do_acknowledge_mark(actor=world.users["lead_handler"], mark_id=mark.pk)


def test_a_mark_quotes_the_catalogue(world, add_entry):
    abolished = add_entry(name="无犯罪记录证明", kind="certificate_abolished")
    duty = add_entry(name="协助开展人口普查", kind="assisting_duty")
    with pytest.raises(ValidationFailed) as exc:
        _mark(world, ground="abolished")  # no entry quoted
    assert "entry" in exc.value.fields
    with pytest.raises(ValidationFailed):
        _mark(world, ground="abolished", entry=duty)  # not a certificate no longer issued
    with pytest.raises(ValidationFailed):
        _mark(world, ground="absent", entry=abolished)
    with pytest.raises(ValidationFailed):
        _mark(world, ground="expired", entry=duty)  # in force on that date
    with pytest.raises(ValidationFailed) as exc:
        _mark(world, ground="whatever", received_on=today() + dt.timedelta(days=3))
    assert set(exc.value.fields) == {"ground", "received_on"}
    assert _mark(world, ground="abolished", entry=abolished).entry == abolished
    assert NotAdmittedMark.objects.count() == 1


def test_only_the_communitys_street_marks_its_tasks(world):
    for persona in ("dispatcher_b", "grid_worker", "lead_handler", "coordinator", "outsider"):
        with pytest.raises(Forbidden):
            _mark(world, persona=persona)
    assert _mark(world, persona="street_leader").community == world.community_a1
    assert _mark(world, persona="dispatcher_b", community=world.community_b1).community == world.community_b1


def test_only_the_department_concerned_acknowledges(world):
    mark = _mark(world)
    with pytest.raises(Forbidden):
        actions.do_acknowledge_mark(actor=world.users["coordinator"], mark_id=mark.pk)
    with pytest.raises(NotFound):
        actions.do_acknowledge_mark(actor=world.users["supporting_handler"], mark_id=mark.pk)


# --- reports -------------------------------------------------------------------------------------------


def test_reports_count_requests_by_department_and_the_catalogue_per_community(world, add_entry, file_request):
    add_entry(kind="duty", communities=[])
    add_entry(kind="signboard", outside=True, communities=[world.community_b1])
    coordinator = world.users["coordinator"]
    approved, refused, _pending = (
        file_request(),
        file_request(name="会议"),
        file_request(persona="supporting_handler", unit=world.supporting_unit),
    )
    actions.do_decide_request(actor=coordinator, request_id=approved.pk, approve=True)
    actions.do_decide_request(actor=coordinator, request_id=refused.pk, approve=False, note="重复")
    rows = {r["unit__code"]: r for r in selectors.requests_by_department(coordinator, world.district)}
    assert (rows["CGZF"]["total"], rows["CGZF"]["approved"], rows["CGZF"]["refused"]) == (2, 1, 1)
    assert rows["ZJW"]["pending"] == 1
    per = {r["code"]: r for r in selectors.catalogue_per_community(world.district)}
    a1, b1 = per[world.community_a1.code], per[world.community_b1.code]
    assert (a1["kinds"]["duty"], a1["kinds"]["ledger"], a1["outside_signboards"]) == (1, 1, 0)
    assert (b1["kinds"]["signboard"], b1["outside_signboards"], b1["total"]) == (1, 1, 3)
