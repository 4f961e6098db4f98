"""The board in a real browser at 1366x768: the live map draws the open demands from map.json and picks
up a new one without a reload."""

from __future__ import annotations

import pytest

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
    page.wait_for_function("document.querySelectorAll('#board-map path.leaflet-interactive').length === 2")
    assert page.locator("#overdue").is_visible()
    page.screenshot(path=str(screenshots / "platform-board.png"))
    new_demand(world, lat=40.144, lng=117.106)
    page.wait_for_function("document.querySelectorAll('#board-map path.leaflet-interactive').length === 3")
    page.locator("#board-map path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content a[href^='/demands/']")
