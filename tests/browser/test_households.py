"""The household emergency flow in a real browser on a 375 px phone: the network is cut, the grid worker taps
households (the taps are queued in the browser), the network comes back and every tap arrives once; the
board (polled by htmx) shows the new figures without a reload. In zh and en, each page in one language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shaobao.households.models import HouseholdTap
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.households.conftest import homes, send_down  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)
ALLOWED = {w.lower() for w in ALLOWED_ASCII}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}


def context_page(browser, base, language, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context, context.new_page()


def check(page, language, phone, data):
    problems = problems_on(page, language, ALLOWED, phone, data)
    assert not problems, f"{page.url}: {problems}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_taps_queued_offline_arrive_once(live_server, world, homes, browser, screenshots, language):  # noqa: F811
    b = send_down(world)
    base = live_server.url
    data = user_data_from_database()
    context, page = context_page(browser, base, language, PHONE)
    log_in(page, base, "grid_worker")
    page.goto(f"{base}/grids/emergencies/{b.pk}/tap/")
    expect(page.locator("#tap-list .household")).to_have_count(len(homes.a1))
    check(page, language, True, data)

    context.set_offline(True)
    first = page.locator(f'.household[data-household="{homes.a1[0].pk}"]')
    second = page.locator(f'.household[data-household="{homes.a1[1].pk}"]')
    first.locator("[data-persons]").fill("2")
    first.locator('button[data-tap="moved"]').click()
    second.locator('button[data-tap="warned"]').click()
    second.locator('button[data-tap="warned"]').click()  # a second tap on the same: still one in the queue
    expect(page.locator("#tap-status [data-queued]")).to_have_text("2")
    expect(page.locator("#tap-status")).to_have_class("tap-status offline")
    expect(first).to_have_attribute("data-state", "moved")
    page.screenshot(path=str(screenshots / f"households-tap-offline-{language}.png"), full_page=True)
    check(page, language, True, data)
    assert HouseholdTap.objects.count() == 0

    context.set_offline(False)
    expect(page.locator("#tap-status [data-queued]")).to_have_text("0", timeout=20000)
    taps = {(t.household_id, t.state, t.persons) for t in HouseholdTap.objects.all()}
    assert taps == {(homes.a1[0].pk, "moved", 2), (homes.a1[1].pk, "warned", homes.a1[1].persons)}
    # A reload and another round of sending (the interval keeps running) add nothing.
    page.reload()
    expect(page.locator(f'.household[data-household="{homes.a1[0].pk}"]')).to_have_attribute(
        "data-state", "moved"
    )
    page.wait_for_timeout(500)
    assert HouseholdTap.objects.count() == 2
    check(page, language, True, data)

    # The board, on a desktop, as the district: the figures follow the taps without a reload.
    board_context, board = context_page(browser, base, language, DESKTOP)
    log_in(board, base, "coordinator")
    board.goto(f"{base}/grids/emergencies/{b.pk}/")
    expect(board.locator("[data-total-moved]")).to_have_text("1")
    expect(board.locator("[data-total-reached]")).to_have_text("2")
    check(board, language, False, data)
    page.locator(f'.household[data-household="{homes.a1[2].pk}"] button[data-tap="moved"]').click()
    expect(board.locator("[data-total-moved]")).to_have_text("2", timeout=20000)
    board.screenshot(path=str(screenshots / f"households-board-{language}.png"), full_page=True)
    board_context.close()
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_household_pages_speak_one_language_on_a_phone(live_server, world, homes, browser, language):  # noqa: F811
    base = live_server.url
    data = user_data_from_database()
    context, page = context_page(browser, base, language, PHONE)
    log_in(page, base, "dispatcher")
    for path in (
        "/grids/",
        "/grids/workers/",
        "/grids/households/",
        f"/grids/households/{homes.a1[0].pk}/",
        f"/grids/groups/?grid={world.grid_a1.code}",
        "/grids/emergencies/",
    ):
        page.goto(base + path)
        check(page, language, True, data)
    context.close()
    context, page = context_page(browser, base, language, PHONE)
    log_in(page, base, "coordinator")
    page.goto(base + "/grids/households/")
    expect(page.locator("#household-counts")).to_be_visible()
    check(page, language, True, data)
    context.close()
