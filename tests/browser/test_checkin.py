"""双报到 in a real browser: the community publishes a need on its board (desktop), a member takes it on their
phone (375 px) and records the service with the resident's code; every page in one language (zh and en)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shaobao.checkin.models import Need, ServiceRecord
from tests.browser.pagewalk import problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.checkin.conftest import ci  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 375, "height": 812}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_community_publishes_a_need_and_a_member_serves_it_on_a_phone(live_server, ci, browser, language):  # noqa: F811
    base = live_server.url
    desk = browser.new_context(viewport={"width": 1366, "height": 768})
    desk.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = desk.new_page()
    log_in(page, base, "committee_handler")
    page.goto(f"{base}/checkin/needs/")
    page.click("#publish summary")
    page.fill("#publish input[name=title]", "帮独居老人买药")
    page.select_option("#publish select[name=kind]", "small_wish")
    page.click("#publish button[type=submit]")
    expect(page.locator("tr.need")).to_have_count(1)
    user_data = user_data_from_database()
    assert not problems_on(page, language, set(), False, user_data)
    need = Need.objects.get()
    code = page.locator("tr.need .code-hint .code").inner_text().strip()
    assert code == need.confirmation_code
    desk.close()

    phone = browser.new_context(viewport=PHONE)
    phone.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = phone.new_page()
    log_in(page, base, "member_user")
    page.goto(f"{base}/checkin/me/")
    card = page.locator(f".need-card[data-need='{need.pk}']")
    expect(card).to_be_visible()
    assert not problems_on(page, language, set(), True, user_data)
    card.locator("button[type=submit]").click()
    taken = page.locator(f".need-card.taken[data-need='{need.pk}']")
    expect(taken).to_be_visible()
    taken.locator("summary").click()
    taken.locator("input[name=hours]").fill("1.5")
    taken.locator("input[name=confirmation_code]").fill(code)
    taken.locator("button[type=submit]").click()
    expect(page.locator("ul.messages li.success")).to_be_visible()
    assert not problems_on(page, language, set(), True, user_data)
    record = ServiceRecord.objects.get()
    assert (record.member, record.state, str(record.hours)) == (ci.member, "confirmed", "1.5")
    phone.close()
