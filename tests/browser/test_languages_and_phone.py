"""Every page in one language, every page on a phone, and maps without a tile server (issue 15, 6 and 8).

On the demo district with its simulated month (lists with rows, demands and whistles in every state,
evaluation with charts, the platform board), each demo role and an anonymous visitor walk the site from their
home page, following the links they find (tests/browser/pagewalk.py, bounded): in zh-Hans at 1366x768 no
English word or raw code; in English on a 375x812 phone no Chinese outside user data and no sideways
scrolling; in zh-Hans on the phone no sideways scrolling either."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from shaobao.intake.models import Demand
from tests.browser.pagewalk import log_in, user_data_from_database, walk
from tests.browser.test_chain import log_in as log_in_world

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["", "resident", "gridworker", "dispatcher", "streetleader", "handler", "unitleader", "coordinator"]
# The demo's logins of forces sent down and 双报到: a deployed cadre, a village work team's member, a checked-in
# party member and a checked-in delivery rider (their own pages: my deployment, my team, my services).
ROLES += ["cadre", "teammember", "member", "rider"]
PERSONAL = {"", "resident", "cadre", "teammember", "member", "rider"}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
PASSES = [  # (language, viewport, check the language)
    ("zh-hans", DESKTOP, True),
    ("en", PHONE, True),
    ("zh-hans", PHONE, False),
]


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def start_pages(username: str) -> list[str]:
    """Home and every page of the role's menu (the groups' entries too), so that the walk reaches each list of
    the menu before it follows links within pages."""
    if username:
        from shaobao.core.navigation import menu_for
        from shaobao.org.models import User

        urls = ["/"]
        for entry in menu_for(User.objects.get(username=username)):
            for item in entry["items"] if entry.get("group") else [entry]:
                if not item["url"].startswith("/admin") and item["url"] not in urls:
                    urls.append(item["url"])
        return urls
    code = Demand.objects.order_by("id").values_list("tracking_code", flat=True).first()
    return ["/accounts/login/", "/demands/report/", "/demands/track/", f"/demands/track/{code}/"]


def test_every_page_speaks_one_language_and_fits_a_phone(demo, live_server, browser, screenshots):
    if connection.vendor == "postgresql":
        # Walked once per `make test`, on SQLite: the pages' words and widths do not depend on the database
        # (the walk takes minutes; the PostgreSQL run covers the same views through the other tests).
        pytest.skip("the page walk runs on SQLite")
    base = live_server.url
    user_data = user_data_from_database()
    problems, visited = [], 0
    for username in ROLES:
        # One context and one log-in per role; each pass sets its language cookie and its viewport.
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(20000)
        page = context.new_page()
        if username:
            log_in(page, base, username)
        start = start_pages(username)
        for language, viewport, check_language in PASSES:
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page.set_viewport_size(viewport)
            # The menu's pages always, then a few pages linked from them (fewer on the width-only pass).
            more = (
                (4 if username in PERSONAL else 2) if check_language else (1 if username in PERSONAL else 0)
            )
            result = walk(
                page,
                base,
                start,
                language=language if check_language else "",
                phone=viewport is PHONE,
                user_data=user_data,
                max_pages=len(start) + more,
            )
            visited += len(result.visited)
            assert len(result.visited) >= (3 if username in PERSONAL else 8), (username, result.visited)
            assert not set(start) - {v.split("?")[0] for v in result.visited}, (username, result.visited)
            who = username or "anonymous"
            problems += [f"[{language} {viewport['width']}px {who}] {p}" for p in result.problems]
        context.close()
    assert not problems, f"{len(problems)} problems on {visited} pages:\n" + "\n".join(problems[:60])


def test_the_language_switch_keeps_the_page(live_server, world, new_page):
    page = new_page()
    log_in_world(page, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}/demands/")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    page.click("form.lang button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/demands/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").first.inner_text().strip() == "Demands"
    page.click("form.lang button[value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"


def test_maps_draw_our_boundaries_without_any_tile_server(
    live_server, world, new_page, screenshots, settings
):
    from tests.intake.flow import new_demand

    demand = new_demand(world, lat=40.145, lng=117.105)
    page = new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in_world(page, live_server.url, "coordinator")
    for path in ("/platform/", f"/demands/{demand.pk}/"):
        page.goto(live_server.url + path)
        page.wait_for_selector(".leaflet-container[data-boundaries-state=drawn]")
        # The street, the community and the grid of the world, each drawn in the boundaries pane.
        assert page.locator(".leaflet-boundaries-pane path").count() >= 3
        assert page.locator(".leaflet-tile").count() == 0
    page.screenshot(path=str(screenshots / "map-without-tiles.png"))
    assert all(url.startswith(live_server.url) for url in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]
    assert not [u for u in requests if "tile" in u]

    # With a tile URL configured the tiles are asked for (here from the test server itself).
    settings.MAP_TILE_URL = live_server.url + "/static/tiles/{z}/{x}/{y}.png"
    requests.clear()
    page.goto(f"{live_server.url}/platform/")
    page.wait_for_selector(".leaflet-container[data-boundaries-state=drawn]")
    page.wait_for_function("document.querySelectorAll('.leaflet-tile').length > 0")
    assert any("/static/tiles/" in u for u in requests)


def test_the_menu_folds_behind_a_button_on_a_phone(live_server, world, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in_world(page, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}/demands/")
    menu = page.locator("nav.menu")
    assert not menu.is_visible()
    page.click("label.nav-button")
    assert menu.is_visible()
    menu.locator("a[href='/whistles/']").click()
    page.wait_for_url("**/whistles/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_the_lists_and_the_forces_fold_into_two_menu_groups(live_server, world, browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in_world(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/demands/")
    if viewport is PHONE:
        page.click("label.nav-button")
    group = page.locator("#menu-lists")
    assert group.is_visible() and not group.locator("a[href='/key-tasks/']").is_visible()
    assert page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height") < (
        200 if viewport is DESKTOP else 400
    )
    group.locator("summary").click()
    page.locator("#menu-forces summary").click()  # one group open at a time
    assert not group.locator("a[href='/key-tasks/']").is_visible()
    group.locator("summary").click()
    group.locator("a[href='/key-tasks/']").click()
    page.wait_for_url("**/key-tasks/")
    assert page.locator("#menu-lists > summary.active").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
