"""The board in a real browser at 1366x768: the live map draws the open demands from map.json and picks
up a new one without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect  # not wait_for_function: the CSP forbids its eval

from shaobao.platform import selectors
from tests.browser.test_chain import log_in
from tests.intake.flow import blow, new_demand

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_map_shows_open_demands_and_refreshes(live_server, world, new_page, screenshots, monkeypatch):
    monkeypatch.setattr(selectors, "MAP_REFRESH_SECONDS", 1)
    blow(world, demands=[new_demand(world, lat=40.145, lng=117.105)])
    new_demand(world, lat=40.146, lng=117.104, urgency="urgent")
    page = new_page()
    log_in(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/platform/")
    expect(page.locator("#board-map path.leaflet-interactive")).to_have_count(2, timeout=15000)
    assert page.locator("#overdue").is_visible()
    page.screenshot(path=str(screenshots / "platform-board.png"))
    new_demand(world, lat=40.144, lng=117.106)
    expect(page.locator("#board-map path.leaflet-interactive")).to_have_count(3, timeout=15000)
    page.locator("#board-map path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content a[href^='/demands/']")
