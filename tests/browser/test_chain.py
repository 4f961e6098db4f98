"""The whole chain in a real browser, with four people acting through the UI:

1. a resident (no account) reports a problem on the public form and gets a tracking code;
2. the street dispatcher blows a priority whistle from the demand page, to the lead unit and keeping
   the supporting unit the duty list proposes;
3. the supporting unit's handler reports in (the whistle is now being handled);
4. the lead unit's handler reports in, but cannot feed back yet: the page says it waits for the
   supporting unit (the lead feeds back one complete result; see `whistles.states`);
5. the supporting unit's handler finishes its part;
6. the lead unit's handler feeds back the result (whistle fed back);
7. the dispatcher verifies on site (whistle and demand closed) and calls the resident back;
8. the resident reads the department's reply on the tracking page.

The states of the demand, the whistle and both summonses are checked in the database after each step."""

from __future__ import annotations

import re

import pytest

from shaobao.intake.models import Demand
from shaobao.whistles.models import Whistle

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def assert_states(whistle, demand, whistle_state: str, demand_state: str, summonses: dict[str, str]) -> None:
    """The whistle's and the demand's states, and {unit code: state} of the whistle's summonses."""
    whistle.refresh_from_db()
    demand.refresh_from_db()
    assert whistle.state == whistle_state
    assert demand.state == demand_state
    assert dict(whistle.summonses.values_list("unit__code", "state")) == summonses


def open_from_inbox(page, base: str, whistle) -> None:
    page.goto(f"{base}/whistles/inbox/")
    page.click(f"#inbox-items a[href='/whistles/{whistle.pk}/']")
    page.wait_for_selector(".summons-row")


def test_resident_to_callback_through_the_ui(live_server, world, new_page, screenshots, offline_map):
    base = live_server.url
    lead, supporting = world.lead_unit.code, world.supporting_unit.code

    # 1. A resident (no account) reports a problem and gets a tracking code.
    resident = new_page()
    resident.goto(f"{base}/demands/report/")
    resident.select_option("select[name=kind]", "complaint")
    resident.fill("input[name=subject]", "楼顶私搭乱建")
    resident.fill("textarea[name=body]", "3号楼楼顶有人在加盖房屋，已经施工三天")
    resident.fill("input[name=reporter_name]", "赵六")
    resident.fill("input[name=reporter_phone]", "13600003333")
    resident.fill("input[name=address]", "承平里3号楼")
    resident.click("#pick-map")  # the map's centre lies in grid A1 of street A
    assert resident.input_value("#id_lat") != ""
    resident.screenshot(path=str(screenshots / "01-public-form.png"), full_page=True)
    resident.click("#public-form button[type=submit]")
    code = resident.locator("#tracking-code").inner_text().strip()
    demand = Demand.objects.get(tracking_code=code)
    assert demand.street == world.street_a and demand.channel == "resident_web"
    assert demand.state == "received"
    resident.screenshot(path=str(screenshots / "02-tracking-code.png"))

    # 2. The street dispatcher finds it in the inbox and blows a priority whistle from the demand page,
    #    to the lead unit, keeping the supporting unit.
    dispatcher = new_page()
    log_in(dispatcher, base, "dispatcher")
    dispatcher.goto(f"{base}/whistles/inbox/")
    dispatcher.click(f"text={code}")
    assert "张" not in dispatcher.content() or "赵*" in dispatcher.content()
    assert "13600003333" not in dispatcher.content()  # masked until revealed
    dispatcher.click("#reporter button[type=submit]")  # reveal (logged), swapped in by htmx
    dispatcher.wait_for_selector("#reporter:has-text('13600003333')")
    # Choosing the matter reloads the units from the duty list (htmx); wait for it before changing them.
    with dispatcher.expect_response(re.compile(r".*/whistles/blow/units/.*")):
        dispatcher.select_option("#blow-form select[name=matter_code]", "CG-001")
    dispatcher.select_option("#blow-form select[name=lead_unit_code]", lead)
    supporting_box = f"#blow-form input[name=supporting_unit_codes][value={supporting}]"
    assert dispatcher.is_checked(supporting_box)  # proposed by the duty list
    dispatcher.check(supporting_box)
    dispatcher.select_option("#blow-form select[name=type]", "priority")
    dispatcher.screenshot(path=str(screenshots / "03-demand-triage.png"), full_page=True)
    dispatcher.click("#blow-form button[type=submit]")
    dispatcher.wait_for_selector(".summons-row")
    whistle = Whistle.objects.get()
    assert whistle.type == "priority"
    assert dict(whistle.summonses.values_list("unit__code", "role")) == {
        lead: "lead",
        supporting: "supporting",
    }
    assert dispatcher.locator(".summons-row").count() == 2
    assert_states(whistle, demand, "blown", "whistled", {lead: "summoned", supporting: "summoned"})

    # 3. The supporting unit's handler finds it in the inbox and reports in: the whistle is being handled.
    helper = new_page()
    log_in(helper, base, "supporting_handler")
    open_from_inbox(helper, base, whistle)
    helper.click("button[name=report_in]")
    helper.wait_for_selector(".finish-form")
    assert_states(whistle, demand, "handling", "whistled", {lead: "summoned", supporting: "reported_in"})

    # 4. The lead unit's handler reports in; it may feed back only once the supporting unit has finished.
    handler = new_page()
    log_in(handler, base, "lead_handler")
    open_from_inbox(handler, base, whistle)
    handler.click("button[name=report_in]")
    handler.wait_for_selector(f".waiting:has-text('{world.supporting_unit.name}')")
    assert handler.locator(".finish-form").count() == 0
    handler.screenshot(path=str(screenshots / "04a-whistle-lead-waiting.png"), full_page=True)
    assert_states(whistle, demand, "handling", "whistled", {lead: "reported_in", supporting: "reported_in"})

    # 5. The supporting unit finishes its part.
    helper.fill(".finish-form textarea[name=note]", "已核查该楼房屋产权及规划手续，无加建审批")
    helper.screenshot(path=str(screenshots / "04b-whistle-supporting.png"), full_page=True)
    helper.click(".finish-form button[type=submit]")
    helper.wait_for_selector(f"#summons-{whistle.summonses.get(unit__code=supporting).pk} .state-finished")
    assert helper.locator(".finish-form").count() == 0
    assert_states(whistle, demand, "handling", "whistled", {lead: "reported_in", supporting: "finished"})

    # 6. Now the lead unit's handler can feed back the result.
    handler.reload()
    handler.wait_for_selector(".finish-form")
    assert handler.locator(".waiting").count() == 0
    handler.fill(".finish-form textarea[name=note]", "已会同执法队拆除楼顶违建，现场已清理")
    handler.screenshot(path=str(screenshots / "04-whistle-unit.png"), full_page=True)
    handler.click(".finish-form button[type=submit]")
    handler.wait_for_selector(".state-fed_back")
    assert_states(whistle, demand, "fed_back", "whistled", {lead: "finished", supporting: "finished"})

    # 7. The dispatcher verifies on site and calls the resident back.
    dispatcher.goto(f"{base}/whistles/{whistle.pk}/")
    dispatcher.check("#verify-form input[name=passed][value='1']")
    dispatcher.check("#verify-form input[name=confirm]")
    dispatcher.click("#verify-form button[type=submit]")
    dispatcher.wait_for_selector(".state-closed")
    assert_states(whistle, demand, "closed", "closed", {lead: "finished", supporting: "finished"})
    dispatcher.goto(f"{base}/demands/{demand.pk}/")
    callback = "form[action$='/callback/']"
    # No preset answer: nothing is checked until the dispatcher chooses, and the step must be confirmed.
    assert dispatcher.locator(f"{callback} input[type=radio]:checked").count() == 0
    dispatcher.click(f"{callback} button[type=submit]")  # refused by the browser: nothing chosen
    assert demand.__class__.objects.get(pk=demand.pk).state == "closed"
    dispatcher.check(f"{callback} input[name=solved][value='1']")
    dispatcher.check(f"{callback} input[name=satisfaction][value=satisfied]")
    dispatcher.check(f"{callback} input[name=confirm]")
    dispatcher.click(f"{callback} button[type=submit]")
    dispatcher.wait_for_selector(".state-called_back")
    # the place map is started again on the content htmx swapped in
    dispatcher.wait_for_selector("[data-show-map].leaflet-container")
    dispatcher.screenshot(path=str(screenshots / "05-demand-called-back.png"), full_page=True)
    assert_states(whistle, demand, "closed", "called_back", {lead: "finished", supporting: "finished"})
    assert demand.satisfaction == "satisfied"

    # 8. The resident follows the code and reads the department's reply; no personal data shown.
    resident.click("a.button.primary")  # "follow the progress" on the thank-you page
    resident.wait_for_selector("#track-state.state-called_back")
    html = resident.content()
    assert "已会同执法队拆除楼顶违建" in html
    assert "赵六" not in html and "13600003333" not in html
    resident.screenshot(path=str(screenshots / "06-tracking.png"), full_page=True)


def test_inbox_shows_a_new_whistle_without_reloading(live_server, world, new_page):
    from shaobao.intake.actions import do_receive_demand
    from shaobao.whistles.actions import do_blow_whistle

    handler = new_page()
    log_in(handler, live_server.url, "lead_handler")
    handler.goto(f"{live_server.url}/whistles/inbox/?section=to_report_in")
    assert handler.locator("#inbox-items a[href^='/whistles/']").count() == 0
    demand = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="违建",
        body="楼顶违建",
        street_code=world.street_a.code,
    )
    whistle = do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="emergency", matter_code="CG-001"
    )
    # htmx polls every 10 s: the new summons shows up without a reload.
    handler.wait_for_selector(f"#inbox-items a[href='/whistles/{whistle.pk}/']", timeout=13000)
