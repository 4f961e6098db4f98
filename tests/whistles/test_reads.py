"""Reads: who sees which demands, whistles and summonses; inboxes per role; list filters; the bell."""

from __future__ import annotations

import pytest
from django.core import mail

from shaobao.core import notifications
from shaobao.intake import actions as intake
from shaobao.intake.models import Demand
from shaobao.intake.selectors import filter_demands, possible_duplicates
from shaobao.whistles import actions as wf
from shaobao.whistles.models import Summons, Whistle
from shaobao.whistles.selectors import filter_whistles, inbox_for
from tests.intake.flow import blow, fed_back, lead_of, new_demand, supporting_of

pytestmark = pytest.mark.django_db


def _sections(user) -> dict:
    return {s["key"]: s for s in inbox_for(user)}


def test_demand_visibility_by_role(world):
    u = world.users
    d = new_demand(world)
    mine = new_demand(world, actor=u["resident"], channel="resident_web")
    unplaced = new_demand(world, street_code=None, address="")  # no place in its words
    assert set(Demand.objects.visible_to(u["dispatcher"])) == {d, mine}
    assert set(Demand.objects.visible_to(u["dispatcher_b"])) == set()
    assert set(Demand.objects.visible_to(u["coordinator"])) == {d, mine, unplaced}
    assert set(Demand.objects.visible_to(u["resident"])) == {mine}
    assert set(Demand.objects.visible_to(u["lead_handler"])) == set()
    assert set(Demand.objects.visible_to(u["nobody"])) == set()
    blow(world, [d])
    assert set(Demand.objects.visible_to(u["lead_handler"])) == {d}
    assert set(Demand.objects.visible_to(u["outsider"])) == set()


def test_whistle_and_summons_visibility(world):
    u = world.users
    w = blow(world)
    lead, sup = lead_of(w), supporting_of(w)
    assert list(Whistle.objects.visible_to(u["supporting_handler"])) == [w]
    assert list(Summons.objects.visible_to(u["supporting_handler"])) == [sup]
    assert set(Summons.objects.visible_to(u["dispatcher"])) == {lead, sup}
    assert set(Summons.objects.visible_to(u["coordinator"])) == {lead, sup}
    assert not Whistle.objects.visible_to(u["dispatcher_b"]).exists()
    assert not Summons.objects.visible_to(u["outsider"]).exists()


def test_dispatcher_inbox_follows_the_chain(world):
    u = world.users
    d = new_demand(world)
    s = _sections(u["dispatcher"])
    assert list(s["to_triage"]["items"]) == [d] and s["to_triage"]["count"] == 1
    w = fed_back(world, blow(world, [d]))
    s = _sections(u["dispatcher"])
    assert s["to_triage"]["count"] == 0 and list(s["to_verify"]["items"]) == [w]
    wf.do_verify(actor=u["dispatcher"], whistle_id=w.pk, passed=True)
    assert list(_sections(u["dispatcher"])["to_call_back"]["items"]) == [d]
    assert _sections(u["dispatcher_b"])["to_triage"]["count"] == 0


def test_unit_inbox_shows_what_to_report_in_and_what_is_in_progress(world):
    u = world.users
    w = blow(world)
    lead = lead_of(w)
    s = _sections(u["lead_handler"])
    assert list(s["to_report_in"]["items"]) == [lead] and s["in_progress"]["count"] == 0
    wf.do_report_in(actor=u["lead_handler"], summons_id=lead.pk)
    s = _sections(u["lead_handler"])
    assert s["to_report_in"]["count"] == 0 and list(s["in_progress"]["items"]) == [lead]
    assert "disputes" not in s and "to_triage" not in s


def test_coordinator_inbox_has_disputes_and_extensions(world):
    u = world.users
    w = blow(world)
    sup, lead = supporting_of(w), lead_of(w)
    wf.do_dispute(actor=u["supporting_handler"], summons_id=sup.pk, reason="无关")
    wf.do_report_in(actor=u["lead_handler"], summons_id=lead.pk)
    ext = wf.do_request_extension(actor=u["lead_handler"], summons_id=lead.pk, days=2, reason="x")
    s = _sections(u["coordinator"])
    assert list(s["disputes"]["items"]) == [sup]
    assert list(s["extensions"]["items"]) == [ext]
    assert s["overdue"]["count"] == 0


def test_filters(world):
    u = world.users
    a = new_demand(world, subject="噪音扰民", urgency="urgent")
    b = new_demand(world, subject="违建")
    w = blow(world, [b])
    qs = Whistle.objects.visible_to(u["coordinator"])
    assert list(filter_whistles(qs, state="blown", type="routine", matter=world.matter.code)) == [w]
    assert list(filter_whistles(qs, unit=world.supporting_unit.code)) == [w]
    assert list(filter_whistles(qs, unit=world.section_a.code)) == []
    assert list(filter_whistles(qs, q=b.tracking_code)) == [w]
    assert list(filter_whistles(qs, q=str(w.pk))) == [w]
    assert list(filter_whistles(qs, overdue="true")) == []
    later = lead_of(w).report_in_due
    import datetime as dt

    assert list(filter_whistles(qs, overdue=True, now=later + dt.timedelta(minutes=1))) == [w]
    dq = Demand.objects.visible_to(u["dispatcher"])
    assert list(filter_demands(dq, q="噪音")) == [a]
    assert list(filter_demands(dq, urgency="urgent")) == [a]
    assert list(filter_demands(dq, state="whistled")) == [b]
    assert list(filter_demands(dq, unit=world.lead_unit.code)) == [b]
    assert set(filter_demands(dq, street=world.street_a.code[:9])) == {a, b}
    assert not filter_demands(dq, street=world.street_b.code).exists()


def test_possible_duplicates_same_street_and_matter(world):
    a = new_demand(world, lat=40.145, lng=117.105)
    b = new_demand(world, lat=40.146, lng=117.106)
    new_demand(world, street_code=world.street_b.code)
    assert list(possible_duplicates(b)) == [a]


def test_bell_unread_count_and_email(world, django_capture_on_commit_callbacks):
    u = world.users
    u["lead_handler"].email = "lead@example.org"
    u["lead_handler"].save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        blow(world)
    assert notifications.unread_count(u["lead_handler"]) == 1
    assert notifications.unread_count(u["supporting_handler"]) == 1
    assert [m.to for m in mail.outbox] == [["lead@example.org"]]
    assert notifications.mark_read(u["lead_handler"]) == 1
    assert notifications.unread_count(u["lead_handler"]) == 0


def test_no_notification_when_the_action_fails(world, django_capture_on_commit_callbacks):
    from shaobao.core.errors import ValidationFailed
    from shaobao.core.models import Notification

    d = new_demand(world)  # the demand's own bell row for the dispatcher is written with it
    before = list(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
        blow(world, [d], lead_unit_code="NOPE")
    assert list(Notification.objects.values_list("pk", flat=True)) == before


def test_new_demand_notifies_the_streets_dispatcher(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d = new_demand(world)
    assert notifications.recent_for(world.users["dispatcher"])[0].text.endswith(d.subject)
    assert notifications.unread_count(world.users["dispatcher_b"]) == 0


def test_correct_placement_by_coordinator_and_refining_by_the_street(world):
    u = world.users
    d = new_demand(world, street_code=None, address="")
    intake.do_correct_placement(actor=u["coordinator"], demand_id=d.pk, grid_code=world.grid_a1.code)
    d.refresh_from_db()
    assert (d.street, d.community, d.grid, d.placement_source) == (
        world.street_a,
        world.community_a1,
        world.grid_a1,
        "manual",
    )
    from shaobao.core.errors import Forbidden

    with pytest.raises(Forbidden):
        intake.do_correct_placement(actor=u["dispatcher"], demand_id=d.pk, street_code=world.street_b.code)
