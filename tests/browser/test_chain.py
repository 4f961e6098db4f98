"""The whole chain in a real browser, with four people: a resident reports, the street dispatcher
blows a whistle, the lead department reports in and finishes, the dispatcher verifies and calls back,
and the resident reads the result on the tracking page."""

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


def test_resident_to_callback_through_the_ui(live_server, world, new_page, screenshots, offline_map):
    base = live_server.url

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
    resident.screenshot(path=str(screenshots / "02-tracking-code.png"))

    # 2. The street dispatcher finds it in the inbox and blows a whistle from the demand page.
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
    dispatcher.select_option("#blow-form select[name=lead_unit_code]", world.lead_unit.code)
    dispatcher.uncheck(f"#blow-form input[name=supporting_unit_codes][value={world.supporting_unit.code}]")
    dispatcher.select_option("#blow-form select[name=type]", "priority")
    dispatcher.screenshot(path=str(screenshots / "03-demand-triage.png"), full_page=True)
    dispatcher.click("#blow-form button[type=submit]")
    dispatcher.wait_for_selector(".summons-row")
    whistle = Whistle.objects.get()
    assert whistle.type == "priority"

    # 3. The lead department's handler sees it appear in the inbox, reports in and finishes.
    handler = new_page()
    log_in(handler, base, "lead_handler")
    handler.goto(f"{base}/whistles/inbox/")
    handler.click(f"a[href='/whistles/{whistle.pk}/']")
    handler.click("button[name=report_in]")
    handler.wait_for_selector(".finish-form")
    handler.fill(".finish-form textarea[name=note]", "已会同执法队拆除楼顶违建，现场已清理")
    handler.screenshot(path=str(screenshots / "04-whistle-unit.png"), full_page=True)
    handler.click(".finish-form button[type=submit]")
    handler.wait_for_selector(".state-fed_back")
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"

    # 4. The dispatcher verifies on site and calls the resident back.
    dispatcher.goto(f"{base}/whistles/{whistle.pk}/")
    dispatcher.select_option("#verify-form select[name=passed]", "1")
    dispatcher.click("#verify-form button[type=submit]")
    dispatcher.wait_for_selector(".state-closed")
    dispatcher.goto(f"{base}/demands/{demand.pk}/")
    dispatcher.select_option("select[name=solved]", "1")
    dispatcher.select_option("select[name=satisfaction]", "satisfied")
    dispatcher.click("form[action$='/callback/'] button[type=submit]")
    dispatcher.wait_for_selector(".state-called_back")
    # the place map is started again on the content htmx swapped in
    dispatcher.wait_for_selector("[data-show-map].leaflet-container")
    dispatcher.screenshot(path=str(screenshots / "05-demand-called-back.png"), full_page=True)
    demand.refresh_from_db()
    assert demand.state == "called_back" and demand.satisfaction == "satisfied"

    # 5. The resident follows the code and reads the department's reply; no personal data shown.
    resident.click("a.button.primary")  # "follow the progress" on the thank-you page
    resident.wait_for_selector("#track-state")
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
