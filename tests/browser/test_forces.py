"""Forces sent down in a real browser: the street's dispatcher gives a deployed cadre a self-handled demand,
the cadre taps "present today" and reports the demand handled on a 375 px phone; every forces page speaks one
language (zh at desktop, en on a phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect  # not wait_for_function: the CSP forbids its eval

from shaobao.forces.models import PresenceLog
from shaobao.intake import actions as intake
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.forces.conftest import make_forces
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def forces(world):
    return make_forces(world)


PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}


def context_for(browser, base, viewport, language):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dispatcher_gives_a_demand_and_the_cadre_works_it_on_a_phone(
    language,
    live_server,
    world,
    forces,
    browser,
    screenshots,
):
    base = live_server.url
    demand = new_demand(world)
    intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )
    user_data = user_data_from_database()

    # The dispatcher of the host street, at a desk.
    desk = context_for(browser, base, DESKTOP, language)
    page = desk.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/forces/{forces.deployment.pk}/")
    assert problems_on(page, language, ALLOWED_ASCII, phone=False, user_data=user_data) == []
    page.select_option("#task-form select[name=demand]", str(demand.pk))
    page.fill("#task-form textarea[name=details]", "请今天到现场核实")
    page.click("#task-form button[type=submit]")
    expect(page.locator("table.tasks a")).to_have_count(1)
    page.screenshot(path=str(screenshots / f"forces-dispatcher-{language}.png"))
    desk.close()

    # The cadre, on a phone.
    phone = context_for(browser, base, PHONE, language)
    page = phone.new_page()
    log_in(page, base, "cadre")
    page.goto(f"{base}/forces/me/")
    assert problems_on(page, language, ALLOWED_ASCII, phone=True, user_data=user_data) == []
    page.fill("#presence-form textarea[name=note]", "巡查河道")
    page.click("#present-button")
    expect(page.locator("#present-status")).to_be_visible()
    page.click("#present-button")  # a second tap the same day changes nothing but the note
    expect(page.locator("#present-status")).to_be_visible()
    assert PresenceLog.objects.filter(cadre=forces.cadre).count() == 1
    assert problems_on(page, language, ALLOWED_ASCII, phone=True, user_data=user_data) == []
    page.screenshot(path=str(screenshots / f"forces-cadre-{language}.png"), full_page=True)
    page.click("ul.task-cards a")
    assert problems_on(page, language, ALLOWED_ASCII, phone=True, user_data=user_data) == []
    page.fill("#finish-form textarea[name=note]", "已核实处理")
    page.check("#finish-form input[name=confirm]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#finish-form button[type=submit]")
    expect(page.locator("#finish-form")).to_have_count(0)
    phone.close()
    demand.refresh_from_db()
    assert demand.state == "handled"


PAGES = [
    "/forces/",
    "/forces/tasks/",
    "/forces/quotas/",
    "/forces/reserve/",
    "/forces/posts/",
    "/forces/assessments/",
    "/forces/assessments/new/",
    "/forces/reports/",
    "/platform/forces/",
]


def test_forces_pages_speak_one_language(live_server, world, forces, browser):
    from shaobao.forces import actions

    actions.do_set_quota(
        actor=world.users["coordinator"],
        unit_code="CGZF",
        staff=4,
        share=50,
        starts_on=forces.today,
        ends_on=forces.today,
    )
    base = live_server.url
    user_data = user_data_from_database()
    problems = []
    for language, viewport in (("zh-hans", DESKTOP), ("en", PHONE)):
        context = context_for(browser, base, viewport, language)
        page = context.new_page()
        log_in(page, base, "coordinator")
        for url in [*PAGES, f"/forces/{forces.deployment.pk}/", "/forces/new/"]:
            page.goto(base + url)
            problems += [
                f"[{language}] {url}: {p}"
                for p in problems_on(page, language, ALLOWED_ASCII, viewport is PHONE, user_data)
            ]
        context.close()
    assert problems == []


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", DESKTOP), ("en", PHONE)])
def test_street_leader_assesses_with_a_third_from_the_grassroots(
    language, viewport, live_server, world, forces, browser
):
    """The panel with too few grassroots assessors is refused in the page's language, with the scores typed kept;
    one more grassroots assessor and the round is recorded."""
    from shaobao.forces.models import AssessmentRound

    base = live_server.url
    user_data = user_data_from_database()
    context = context_for(browser, base, viewport, language)
    page = context.new_page()
    log_in(page, base, "street_leader")
    page.goto(f"{base}/forces/assessments/new/")
    page.select_option("#assessment-form select[name=host]", world.street_a.code)
    page.click("#assessment-form button[type=submit]")  # the period is filled in: this month up to today
    score = page.locator(f"input[name=score_{forces.deployment.pk}]")
    expect(score).to_be_visible()
    for i, kind in enumerate(["village_party_secretary", "street_official", "street_official", "other"]):
        page.fill(f"input[name=assessor_name_{i}]", f"评议人{i}")
        page.select_option(f"select[name=assessor_kind_{i}]", kind)
    score.fill("91")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#assessment-form button[type=submit]")
    expect(page.locator("#assessors-error")).to_be_visible()
    assert problems_on(page, language, ALLOWED_ASCII, viewport is PHONE, user_data) == []
    assert page.input_value(f"input[name=score_{forces.deployment.pk}]") == "91"
    assert not AssessmentRound.objects.exists()
    page.select_option("select[name=assessor_kind_3]", "peoples_congress_deputy")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#assessment-form button[type=submit]")
    expect(page.locator("ul.messages li.success")).to_be_visible()
    assert AssessmentRound.objects.get().scores.get().score == 91
    context.close()
