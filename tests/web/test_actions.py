"""Buttons and small forms perform the transition; errors become messages (409: the state changed)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shaobao.core.models import Notification, PersonalDataAccess
from shaobao.whistles.models import Summons, Whistle
from tests.web.conftest import REPORTER_NAME, REPORTER_PHONE

pytestmark = pytest.mark.django_db


def lead_of(whistle) -> Summons:
    return whistle.summonses.get(role="lead")


# --- masking ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead_handler", "street_leader", "grid_worker"])
def test_reporter_is_masked_without_reveal_button_for_others(login, role, demand, whistle):
    html = login(role).get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert "张**" in html and "138****5678" in html
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html
    assert reverse("intake:reveal_reporter", args=[demand.pk]) not in html


def test_dispatcher_reveals_reporter_and_it_is_logged(login, demand, world):
    client = login("dispatcher")
    page = client.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert REPORTER_PHONE not in page  # masked until asked
    assert reverse("intake:reveal_reporter", args=[demand.pk]) in page
    partial = client.post(reverse("intake:reveal_reporter", args=[demand.pk]), HTTP_HX_REQUEST="true")
    assert REPORTER_PHONE in partial.content.decode() and REPORTER_NAME in partial.content.decode()
    log = PersonalDataAccess.objects.get()
    assert log.user == world.users["dispatcher"] and log.subject_id == demand.pk


def test_unit_handler_cannot_reveal(login, demand, whistle):
    response = login("lead_handler").post(reverse("intake:reveal_reporter", args=[demand.pk]))
    assert REPORTER_PHONE not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_whistle_page_never_shows_the_reporter(login, whistle):
    html = login("lead_handler").get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html


# --- triage ---------------------------------------------------------------------------------------


def test_triage_offered_to_dispatcher_not_to_units(login, demand):
    html = login("dispatcher").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert reverse("whistles:blow") in html and reverse("intake:self_handle", args=[demand.pk]) in html
    # the whistle form is pre-filled from the duty list: lead unit selected
    assert 'value="CGZF" selected' in html
    html = login("lead_handler").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert reverse("whistles:blow") not in html


def test_blow_whistle_from_demand_page(login, demand, world):
    response = login("dispatcher").post(
        reverse("whistles:blow"),
        {
            "from_demand": demand.pk,
            "demand_ids": [demand.pk],
            "type": "priority",
            "matter_code": "CG-001",
            "lead_unit_code": world.lead_unit.code,
            "supporting_unit_codes": [world.supporting_unit.code],
            "note": "请尽快到场",
        },
    )
    whistle = Whistle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("whistles:whistle_detail", args=[whistle.pk])
    assert whistle.type == "priority"
    assert set(whistle.summonses.values_list("unit__code", flat=True)) == {"CGZF", "ZJW"}
    demand.refresh_from_db()
    assert demand.state == "whistled"


def test_self_handle_assigns_to_a_street_unit(login, demand, world):
    response = login("dispatcher").post(
        reverse("intake:self_handle", args=[demand.pk]),
        {"unit_code": world.section_a.code, "note": "城管科处理"},
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.state == "self_handling" and demand.assigned_unit == world.section_a


def test_transfer_and_merge(login, demand, world):
    from shaobao.intake.actions import do_receive_demand

    other = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="同一处违建",
        body="楼顶加盖",
        street_code=world.street_a.code,
    )
    client = login("dispatcher")
    assert client.post(reverse("intake:merge", args=[other.pk]), {"into_id": demand.pk}).status_code == 302
    other.refresh_from_db()
    assert other.state == "merged" and other.merged_into == demand
    client.post(
        reverse("intake:transfer", args=[demand.pk]), {"street_code": world.street_b.code, "note": "不属我街"}
    )
    demand.refresh_from_db()
    assert demand.street == world.street_b


# --- whistle steps ---------------------------------------------------------------------------------


def test_report_in_button_performs_the_transition(login, whistle):
    summons = lead_of(whistle)
    client = login("lead_handler")
    page = client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert reverse("whistles:report_in", args=[summons.pk]) in page
    response = client.post(reverse("whistles:report_in", args=[summons.pk]), follow=True)
    assert response.status_code == 200
    summons.refresh_from_db()
    assert summons.state == "reported_in"
    assert "已报到" in response.content.decode() or "Reported in" in response.content.decode()


def test_second_report_in_answers_409_state_changed(login, whistle):
    summons = lead_of(whistle)
    client = login("lead_handler")
    client.post(reverse("whistles:report_in", args=[summons.pk]))
    response = client.post(reverse("whistles:report_in", args=[summons.pk]))
    assert response.status_code == 409
    assert "状态已变化" in response.content.decode()


def test_htmx_action_returns_the_page_to_swap(login, whistle):
    summons = lead_of(whistle)
    response = login("lead_handler").post(
        reverse("whistles:report_in", args=[summons.pk]), HTTP_HX_REQUEST="true", follow=True
    )
    assert response.status_code == 200
    assert "<main>" in response.content.decode()


def test_supporting_unit_sees_no_buttons_on_the_lead_summons(login, whistle):
    html = (
        login("supporting_handler")
        .get(reverse("whistles:whistle_detail", args=[whistle.pk]))
        .content.decode()
    )
    assert reverse("whistles:report_in", args=[lead_of(whistle).pk]) not in html
    supporting = whistle.summonses.get(role="supporting")
    assert reverse("whistles:report_in", args=[supporting.pk]) in html


def test_empty_dispute_reason_is_an_error_and_nothing_changes(login, whistle):
    summons = lead_of(whistle)
    response = login("lead_handler").post(reverse("whistles:dispute", args=[summons.pk]), {"reason": ""})
    assert response.status_code == 400
    summons.refresh_from_db()
    assert summons.state == "summoned"


def test_dispute_then_coordinator_arbitrates(login, whistle, world):
    summons = lead_of(whistle)
    login("lead_handler").post(reverse("whistles:dispute", args=[summons.pk]), {"reason": "不是我们的职责"})
    client = login("coordinator")
    html = client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert reverse("whistles:arbitrate", args=[summons.pk]) in html
    client.post(
        reverse("whistles:arbitrate", args=[summons.pk]),
        {"decision": "reject", "note": "属于主责", "confirm": "on"},
    )
    summons.refresh_from_db()
    assert summons.state == "reported_in"


def test_extension_request_and_decision(login, whistle):
    summons = lead_of(whistle)
    unit = login("lead_handler")
    unit.post(reverse("whistles:report_in", args=[summons.pk]))
    unit.post(reverse("whistles:request_extension", args=[summons.pk]), {"days": 3, "reason": "需要协调"})
    ext = summons.extension_requests.get()
    login("coordinator").post(reverse("whistles:decide_extension", args=[ext.pk]), {"grant": "1"})
    ext.refresh_from_db()
    assert ext.state == "granted"


def test_whole_chain_through_the_pages(login, whistle, demand, world):
    lead, supporting = lead_of(whistle), whistle.summonses.get(role="supporting")
    unit = login("lead_handler")
    unit.post(reverse("whistles:report_in", args=[lead.pk]))
    unit.post(reverse("whistles:progress", args=[lead.pk]), {"note": "已到现场"})
    sup = login("supporting_handler")
    sup.post(reverse("whistles:report_in", args=[supporting.pk]))
    sup.post(reverse("whistles:finish", args=[supporting.pk]), {"note": "配合完成"})
    login("lead_handler").post(reverse("whistles:finish", args=[lead.pk]), {"note": "违建已拆除"})
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"
    login("dispatcher").post(
        reverse("whistles:verify", args=[whistle.pk]), {"passed": "1", "note": "现场核查", "confirm": "on"}
    )
    whistle.refresh_from_db()
    demand.refresh_from_db()
    assert whistle.state == "closed" and demand.state == "closed"
    login("dispatcher").post(
        reverse("intake:callback", args=[demand.pk]),
        {"solved": "1", "satisfaction": "satisfied", "confirm": "on"},
    )
    demand.refresh_from_db()
    assert demand.state == "called_back"
    track = login("dispatcher").get(reverse("intake:track", args=[demand.tracking_code])).content.decode()
    assert "违建已拆除" in track  # the lead unit's feedback is the reply the resident reads


# --- inbox polling and the bell --------------------------------------------------------------------


def test_polling_partial_returns_new_items(login, demand, world):
    client = login("lead_handler")
    url = reverse("whistles:inbox_items")
    before = client.get(url, {"section": "to_report_in"})
    assert before.status_code == 200 and 'hx-trigger="every 10s"' in before.content.decode()
    assert "<html" not in before.content.decode()  # a partial, not the whole page
    from shaobao.whistles.actions import do_blow_whistle

    whistle = do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="emergency", matter_code="CG-001"
    )
    after = client.get(url, {"section": "to_report_in"}).content.decode()
    assert reverse("whistles:whistle_detail", args=[whistle.pk]) in after
    assert 'data-count="1"' in after


def test_inbox_filters_by_type(login, whistle):
    client = login("lead_handler")
    url = reverse("whistles:inbox")
    link = reverse("whistles:whistle_detail", args=[whistle.pk])
    assert link in client.get(url, {"section": "to_report_in", "type": "routine"}).content.decode()
    assert link not in client.get(url, {"section": "to_report_in", "type": "emergency"}).content.decode()


def test_dispatcher_inbox_lists_demand_to_triage(login, demand):
    html = login("dispatcher").get(reverse("whistles:inbox")).content.decode()
    assert demand.tracking_code in html


def test_bell_counts_unread_and_mark_read_follows_link(login, world):
    user = world.users["lead_handler"]
    note = Notification.objects.create(user=user, text="新的吹哨", url="/whistles/inbox/")
    client = login("lead_handler")
    bell = client.get(reverse("core:bell")).content.decode()
    assert 'data-unread="1"' in bell
    page = client.get(reverse("core:notifications")).content.decode()
    assert "新的吹哨" in page
    response = client.post(reverse("core:notification_read", args=[note.pk]))
    assert response["Location"] == "/whistles/inbox/"
    assert "data-unread" not in client.get(reverse("core:bell")).content.decode()


def test_cannot_mark_someone_elses_notification(login, world):
    note = Notification.objects.create(user=world.users["dispatcher"], text="x")
    login("lead_handler").post(reverse("core:notification_read", args=[note.pk]))
    note.refresh_from_db()
    assert note.read_at is None


def test_blowing_a_whistle_notifies_the_lead_unit_bell(
    login, demand, world, django_capture_on_commit_callbacks
):
    from shaobao.whistles.actions import do_blow_whistle

    with django_capture_on_commit_callbacks(execute=True):
        do_blow_whistle(
            actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001"
        )
    bell = login("lead_handler").get(reverse("core:bell")).content.decode()
    assert "data-unread" in bell


def test_street_unit_finishes_and_street_verifies_self_handling(login, demand, world):
    login("dispatcher").post(
        reverse("intake:self_handle", args=[demand.pk]), {"unit_code": world.section_a.code}
    )
    section = login("section_handler")
    page = section.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert reverse("intake:finish_self_handling", args=[demand.pk]) in page
    section.post(reverse("intake:finish_self_handling", args=[demand.pk]), {"note": "已清理"})
    demand.refresh_from_db()
    assert demand.state == "handled"
    login("dispatcher").post(
        reverse("intake:verify_self_handling", args=[demand.pk]),
        {"passed": "0", "note": "未清理干净", "confirm": "on"},
    )
    demand.refresh_from_db()
    assert demand.state == "self_handling" and demand.rework_count == 1


def test_placement_correction_form(login, world):
    from shaobao.intake.actions import do_receive_demand

    unplaced = do_receive_demand(
        actor=world.users["coordinator"],
        channel="hotline_12345",
        kind="help",
        subject="无法定位",
        body="某处",
    )
    client = login("coordinator")
    page = client.get(reverse("intake:demand_detail", args=[unplaced.pk])).content.decode()
    assert reverse("intake:correct_placement", args=[unplaced.pk]) in page
    client.post(
        reverse("intake:correct_placement", args=[unplaced.pk]), {"community_code": world.community_a1.code}
    )
    unplaced.refresh_from_db()
    assert unplaced.street == world.street_a and unplaced.community == world.community_a1


def test_pages_in_english(login, demand):
    client = login("dispatcher")
    client.cookies["django_language"] = "en"
    html = client.get(
        reverse("intake:demand_detail", args=[demand.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Blow the whistle" in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert "吹哨" in html


def test_choosing_a_matter_loads_its_units_from_the_duty_list(login, demand, world):
    html = (
        login("dispatcher")
        .get(reverse("whistles:blow_units"), {"demand": demand.pk, "matter_code": "CG-001"})
        .content.decode()
    )
    assert 'id="blow-units"' in html
    assert 'value="CGZF" selected' in html
    assert re.search(r'value="ZJW"[^>]*checked', html)  # the supporting unit ticked


def test_duplicates_are_offered_for_one_click_merge(login, demand, world):
    from shaobao.intake.actions import do_receive_demand

    again = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="又是楼顶违建",
        body="同一处",
        address="承平里3号楼",
        street_code=world.street_a.code,
        matter_code="CG-001",
    )
    html = login("dispatcher").get(reverse("intake:demand_detail", args=[again.pk])).content.decode()
    assert reverse("intake:merge", args=[again.pk]) in html
    assert f'name="into_id" value="{demand.pk}"' in html


def test_triage_shows_the_routing_proposal(login, demand):
    pytest.importorskip("shaobao.routing.services")
    html = login("dispatcher").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert 'id="proposal"' in html
    proposal = html[html.index('id="proposal"') :]
    assert "CG-001" in proposal[: proposal.index("</div>")]


def test_one_whistle_covers_two_demands(login, demand, world):
    from shaobao.intake.actions import do_receive_demand

    again = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="grid_patrol",
        kind="report",
        subject="楼顶违建",
        body="同一处加盖",
        street_code=world.street_a.code,
    )
    login("dispatcher").post(
        reverse("whistles:blow"),
        {
            "from_demand": demand.pk,
            "demand_ids": [demand.pk, again.pk],
            "type": "routine",
            "matter_code": "CG-001",
            "lead_unit_code": world.lead_unit.code,
        },
    )
    whistle = Whistle.objects.get()
    assert set(whistle.demands.values_list("pk", flat=True)) == {demand.pk, again.pk}


def test_reveal_is_shown_in_the_timeline(login, demand):
    client = login("dispatcher")
    client.post(reverse("intake:reveal_reporter", args=[demand.pk]))
    html = client.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert "viewed the reporter" in html or "查看了反映人" in html


def test_lead_cannot_feed_back_before_supporting_units_and_is_told_why(login, whistle):
    lead = lead_of(whistle)
    client = login("lead_handler")
    client.post(reverse("whistles:report_in", args=[lead.pk]))
    response = client.post(reverse("whistles:finish", args=[lead.pk]), {"note": "已处理"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "区住房和城乡建设委员会" in html  # who has not finished yet
    assert "状态已变化" not in html  # nothing changed under their feet: the reason is the message
    lead.refresh_from_db()
    assert lead.state == "reported_in"


def test_coordinator_does_not_triage_for_the_street_but_may_correct_placement(login, demand):
    html = login("coordinator").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert reverse("whistles:blow") not in html
    assert reverse("intake:self_handle", args=[demand.pk]) not in html
    assert reverse("intake:correct_placement", args=[demand.pk]) in html
    assert reverse("intake:reveal_reporter", args=[demand.pk]) in html


def test_lead_sees_which_supporting_units_it_waits_for(login, whistle):
    lead = lead_of(whistle)
    client = login("lead_handler")
    client.post(reverse("whistles:report_in", args=[lead.pk]))
    html = client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert reverse("whistles:finish", args=[lead.pk]) not in html
    waiting = html[html.index('class="muted small waiting"') :]
    assert "区住房和城乡建设委员会" in waiting[: waiting.index("</p>")]


def test_coordinator_inbox_lists_disputes_and_extension_requests(login, whistle, world):
    lead, supporting = lead_of(whistle), whistle.summonses.get(role="supporting")
    login("lead_handler").post(reverse("whistles:dispute", args=[lead.pk]), {"reason": "不属于我们"})
    sup = login("supporting_handler")
    sup.post(reverse("whistles:report_in", args=[supporting.pk]))
    sup.post(reverse("whistles:request_extension", args=[supporting.pk]), {"days": 3, "reason": "材料未到"})
    client = login("coordinator")
    link = reverse("whistles:whistle_detail", args=[whistle.pk])
    disputes = client.get(reverse("whistles:inbox"), {"section": "disputes"}).content.decode()
    assert link in disputes and 'data-section="disputes"' in disputes
    extensions = client.get(reverse("whistles:inbox_items"), {"section": "extensions"}).content.decode()
    assert link in extensions and "材料未到" in extensions
