"""The home page in a real browser, at desktop width and on a 375 px phone: the visitor's two doors and
the tracking box, each role's to-do tiles whose links open the inbox filtered the same way."""

from __future__ import annotations

import pytest

from shaobao.intake.actions import do_receive_demand
from shaobao.whistles.actions import do_blow_whistle
from tests.browser.test_chain import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": (1366, 768), "phone": (375, 812)}


def _page(browser, width: str):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN")
    context.set_default_timeout(15000)
    return context, context.new_page()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_visitor_reports_or_tracks_from_home(live_server, world, browser, screenshots, width):
    demand = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="路灯不亮",
        body="路灯不亮",
        street_code=world.street_a.code,
    )
    context, page = _page(browser, width)
    try:
        page.goto(f"{live_server.url}/")
        assert page.locator("#report-a-problem").is_visible()
        _no_sideways_scroll(page)
        page.screenshot(path=str(screenshots / f"home-visitor-{width}.png"), full_page=True)
        page.fill(".track-box input[name=code]", demand.tracking_code)
        page.click(".track-box button[type=submit]")
        page.wait_for_url(f"**/demands/track/{demand.tracking_code}/")
        page.goto(f"{live_server.url}/")
        page.click("#report-a-problem")
        page.wait_for_url("**/demands/report/")
    finally:
        context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_role_dashboards_link_to_their_lists(live_server, world, browser, screenshots, width):
    demand = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="楼顶违建",
        body="楼顶违建",
        street_code=world.street_a.code,
    )
    do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="井盖缺失",
        body="井盖缺失",
        street_code=world.street_a.code,
    )
    do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[demand.pk], type="routine", matter_code="CG-001"
    )
    # triage's limit counts working hours; report-in's runs on the clock
    for role, key, count, unit in (
        ("dispatcher", "to_triage", 1, "个工作小时"),
        ("lead_handler", "to_report_in", 1, "剩余 2"),  # 23.9–24.0 hours
        ("coordinator", "disputes", 0, None),
    ):
        context, page = _page(browser, width)
        try:
            log_in(page, live_server.url, role)
            page.goto(f"{live_server.url}/")
            tile = page.locator(f".todo-tile[data-key={key}]")
            assert tile.locator(".todo-count").inner_text() == str(count)
            if count:
                assert unit in tile.inner_text()  # the time left, in the limit's own hours
            _no_sideways_scroll(page)
            page.screenshot(path=str(screenshots / f"home-{role}-{width}.png"), full_page=True)
            tile.locator("a.todo-main").click()
            page.wait_for_url(f"**/whistles/inbox/?section={key}")
            assert page.locator(f"nav.tabs a.active[data-section={key}]").count() == 1
            if count:
                assert page.locator("#inbox-items tbody tr").count() == count
            else:
                assert "暂无待办" in page.locator("#inbox-items").inner_text()
        finally:
            context.close()
