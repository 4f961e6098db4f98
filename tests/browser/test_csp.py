"""The Content-Security-Policy allows only our own static files, and the pages live with it: the main pages,
opened in Chromium (with the charts hovered, the map drawn, htmx fragments loaded), report no CSP violation."""

from __future__ import annotations

import pytest

from tests.browser.test_chain import log_in
from tests.evaluation.conftest import scenario  # noqa: F401,F811  (the rolled-up October)
from tests.intake.flow import blow, new_demand

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def watched(new_page):
    page = new_page()
    page.add_init_script(WATCH)
    seen: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    return page, seen


def visit(page, seen, url: str, wait: str | None = None) -> None:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    if wait:
        page.wait_for_selector(wait)
    page.wait_for_timeout(300)  # htmx's load-triggered fragments (bell, broadcast banner)
    violations = page.evaluate("window.__csp") + seen
    assert violations == [], (url, violations)


def test_main_pages_raise_no_csp_violation(live_server, world, new_page, settings):
    base = live_server.url
    whistle = blow(world, demands=[new_demand(world, lat=40.145, lng=117.105)])
    demand = whistle.demands.first()

    page, seen = watched(new_page)
    visit(page, seen, f"{base}/")
    visit(page, seen, f"{base}/demands/report/")
    visit(page, seen, f"{base}/demands/track/")
    visit(page, seen, f"{base}/accounts/login/")
    visit(page, seen, f"{base}/api/v1/docs", wait="#swagger-ui .info")

    log_in(page, base, "dispatcher")
    visit(page, seen, f"{base}/")
    visit(page, seen, f"{base}/demands/")
    visit(page, seen, f"{base}/demands/{demand.pk}/")
    visit(page, seen, f"{base}/demands/new/", wait=".leaflet-container")
    visit(page, seen, f"{base}/whistles/")
    visit(page, seen, f"{base}/whistles/{whistle.pk}/")
    # The language switch is a plain form button (it had an inline onchange handler).
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate("window.__csp") + seen == []

    coordinator, seen2 = watched(new_page)
    log_in(coordinator, base, "coordinator")
    visit(coordinator, seen2, f"{base}/platform/", wait="#board-map path.leaflet-interactive")


def test_evaluation_charts_raise_no_csp_violation(live_server, scenario, new_page):  # noqa: F811
    page, seen = watched(new_page)
    log_in(page, live_server.url, "coordinator")
    visit(page, seen, f"{live_server.url}/evaluation/?month=2026-10", wait="#chart-trend canvas")
    box = page.locator("#chart-trend").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the tooltip
    page.wait_for_timeout(500)
    assert page.evaluate("window.__csp") + seen == []
    visit(page, seen, f"{live_server.url}/evaluation/matters/?month=2026-10")


def test_admin_raises_no_csp_violation(live_server, world, new_page):
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    page, seen = watched(new_page)
    log_in(page, live_server.url, "admin")
    visit(page, seen, f"{live_server.url}/admin/")
    visit(page, seen, f"{live_server.url}/admin/org/user/")
    visit(page, seen, f"{live_server.url}/admin/routing/proposalrecord/")
    visit(page, seen, f"{live_server.url}/admin/axes/accessattempt/")
