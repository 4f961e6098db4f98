"""乡呼县应 in a real browser, in Chinese at desktop width and in English on a phone: a street calls up, the
county centre assigns a department, the department reports in and finishes, the street verifies and rates.
Every page on the way speaks one language (and fits 375 px on the phone)."""

from __future__ import annotations

import re

import pytest

from shaobao.calls.models import Call
from tests.browser.pagewalk import problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.levels.conftest import city  # noqa: F401 - the two-district city fixture

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


@pytest.mark.parametrize(
    ("language", "viewport", "subject"),
    [("zh-hans", DESKTOP, "跨区河道污染"), ("en", PHONE, "泃河上游排污")],
)
def test_a_street_calls_up_the_county_assigns_the_department_reports_in_and_the_street_verifies(
    live_server,
    browser,
    city,  # noqa: F811 - the fixture imported above
    screenshots,
    language,
    viewport,
    subject,  # noqa: F811
):
    base = live_server.url
    problems: list[str] = []
    phone = viewport is PHONE

    def page_as(username: str):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(15000)
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        page = context.new_page()
        log_in(page, base, username)
        return page

    def check(page, label: str) -> None:
        problems.extend(
            f"[{label}] {p}" for p in problems_on(page, language, set(), phone, user_data_from_database())
        )

    # 1. The street calls its county centre.
    street = page_as("dispatcher")
    street.goto(f"{base}/calls/new/")
    street.fill("#call-form input[name=subject]", subject)
    street.fill("#call-form textarea[name=body]", "上游排污，本街乡和区属单位无法处置")
    check(street, "new call")
    street.click("#call-form button[type=submit]")
    street.wait_for_selector("#call-state[data-state=raised]")
    call = Call.objects.get(subject=subject)
    check(street, "call raised")

    # 2. The county centre finds it in its queue and assigns a department.
    county = page_as("coordinator")
    county.goto(f"{base}/calls/")
    county.wait_for_selector("[data-section=to_assign].active")
    check(county, "county board")
    county.click(f"#queue a[href='/calls/{call.pk}/']")
    county.select_option("#assign-form select[name=lead_unit]", "CGZF")
    check(county, "call to assign")
    county.click("#assign-form button[type=submit]")
    county.wait_for_selector("#call-state[data-state=assigned]")

    # 3. The department reports in and finishes.
    dept = page_as("lead_handler")
    dept.goto(f"{base}/calls/")
    dept.click(f"#queue a[href='/calls/{call.pk}/']")
    check(dept, "department's call")
    dept.click("button[data-step=report-in]")
    dept.wait_for_selector("#call-state[data-state=handling]")
    dept.fill("form[id^=finish-] textarea[name=note]", "已封堵排污口")
    dept.click("button[data-step=finish]")
    dept.wait_for_selector("#call-state[data-state=fed_back]")

    # 4. The street verifies on site and rates the department.
    street.goto(f"{base}/calls/")
    street.wait_for_selector("[data-section=to_verify].active")
    street.click(f"#queue a[href='/calls/{call.pk}/']")
    street.check("#verify-form input[name=passed][value='1']")
    street.select_option("#verify-form select[name=rating_CGZF]", "4")
    street.check("#verify-form input[name=confirm]")
    check(street, "verify")
    street.screenshot(path=str(screenshots / f"levels-verify-{language}.png"), full_page=True)
    street.click("#verify-form button[type=submit]")
    street.wait_for_selector("#call-state[data-state=closed]")
    check(street, "closed")

    call.refresh_from_db()
    assert call.state == "closed" and call.ratings.get().score == 4
    assert not problems, "\n".join(problems)


def test_the_top_bar_picker_switches_the_district(live_server, browser, city):  # noqa: F811
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page = context.new_page()
    log_in(page, base, "two_counties")
    page.goto(f"{base}/calls/")
    assert page.locator("#acting-area").input_value() == "110117"
    page.select_option("#acting-area", "110118")
    page.click("#acting-form button[type=submit]")
    page.wait_for_url(f"{base}/calls/")
    assert page.locator("#acting-area").input_value() == "110118"
    assert not problems_on(page, "en", set(), True, user_data_from_database())


def test_the_city_looks_into_a_district_below_on_a_phone(live_server, browser, city):  # noqa: F811
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page = context.new_page()
    log_in(page, base, "only_city")
    page.goto(f"{base}/evaluation/city/")
    page.click("#districts a:has-text('平谷区')")
    page.wait_for_url(re.compile(r".*/evaluation/city/110117/\?month=.*"))
    assert page.locator("h1").inner_text().startswith("平谷区")
    assert page.locator("#streets").is_visible() and page.locator("#units").is_visible()
    assert not problems_on(page, "en", set(), True, user_data_from_database())
    context.close()
