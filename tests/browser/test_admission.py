"""Task admission in a real browser: a department files an admission request and the district coordinator
approves it (the item enters the catalogue), in zh-Hans at 1366 px and in English at 375 px; and on the demo
district, every admission page in one language and, on a phone, without sideways scrolling."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from shaobao.admission.models import AdmissionRequest, CatalogueEntry
from tests.browser import pagewalk
from tests.browser.test_chain import log_in

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
ALLOWED = {w.lower() for w in pagewalk.ALLOWED_ASCII}


def _context(browser, language, viewport, base):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context


def _check(page, language, phone):
    problems = pagewalk.problems_on(page, language, ALLOWED, phone, pagewalk.user_data_from_database())
    assert not problems, f"{page.url}: {problems}"


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", DESKTOP), ("en", PHONE)])
def test_a_department_files_and_the_coordinator_approves(
    live_server, world, browser, screenshots, language, viewport
):
    base, phone = live_server.url, viewport is PHONE
    handler_ctx = _context(browser, language, viewport, base)
    page = handler_ctx.new_page()
    log_in(page, base, "lead_handler")
    page.goto(f"{base}/admission/requests/new/")
    _check(page, language, phone)
    page.select_option("select[name=kind]", "ledger")
    page.fill("input[name=name]", "违法建设巡查周报台账")
    page.fill("textarea[name=basis]", "《城乡规划法》第六十四条")
    page.fill("textarea[name=reason]", "需要社区每周汇总报送巡查线索")
    page.select_option("select[name=communities]", [world.community_a1.code])
    page.fill("input[name=valid_from]", timezone.localdate().isoformat())
    page.click("form.form-card button[type=submit]")
    page.wait_for_url(re.compile(r".*/admission/requests/\d+/$"))
    req = AdmissionRequest.objects.get()
    assert (req.state, req.unit, req.kind, req.all_communities) == (
        "pending",
        world.lead_unit,
        "ledger",
        False,
    )
    expect(page.locator(".state-pending")).to_be_visible()
    assert page.locator("#decide").count() == 0  # the department cannot decide its own request
    _check(page, language, phone)
    handler_ctx.close()

    coordinator_ctx = _context(browser, language, viewport, base)
    page = coordinator_ctx.new_page()
    log_in(page, base, "coordinator")
    page.goto(f"{base}/admission/requests/")
    _check(page, language, phone)
    page.click(f"a[href='/admission/requests/{req.pk}/'] >> nth=0")
    page.wait_for_url(re.compile(rf".*/admission/requests/{req.pk}/$"))
    _check(page, language, phone)
    page.check("input[name=decision][value=approve]")
    page.check("input[name=confirm]")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click("#decide button[type=submit]")
    expect(page.locator(".state-approved")).to_be_visible()
    assert len(dialogs) == 1  # asked before the irreversible step
    req.refresh_from_db()
    entry = CatalogueEntry.objects.get(request=req)
    assert (req.state, entry.kind, entry.basis) == ("approved", "ledger", "《城乡规划法》第六十四条")
    _check(page, language, phone)
    page.screenshot(path=str(screenshots / f"admission-approved-{language}-{viewport['width']}.png"))
    page.goto(f"{base}/admission/?community={world.community_a1.code}")
    expect(page.locator(f"#entry-{entry.pk}")).to_be_visible()
    _check(page, language, phone)
    coordinator_ctx.close()


def test_the_admission_pages_of_the_demo_speak_one_language_and_fit_a_phone(live_server, browser):
    call_command("load_demo", "--no-month", stdout=StringIO())
    base = live_server.url
    pending = AdmissionRequest.objects.filter(state="pending").first()
    refused = AdmissionRequest.objects.filter(state="refused").first()
    pages = {
        "coordinator": [
            "/admission/",
            "/admission/?community=110117001001",
            "/admission/requests/",
            f"/admission/requests/{pending.pk}/",
            f"/admission/requests/{refused.pk}/",
            "/admission/marks/",
            "/admission/reports/",
            "/admission/entries/new/",
        ],
        "handler": ["/admission/requests/new/", "/admission/marks/"],
        "dispatcher": ["/admission/", "/admission/marks/new/", "/admission/marks/"],
    }
    data = pagewalk.user_data_from_database()
    problems = []
    for language, viewport in (("zh-hans", DESKTOP), ("en", PHONE)):
        for username, urls in pages.items():
            context = _context(browser, language, viewport, base)
            page = context.new_page()
            pagewalk.log_in(page, base, username)
            for url in urls:
                response = page.goto(base + url)
                pagewalk.settle(page)
                assert response.status == 200, (username, url, response.status)
                found = pagewalk.problems_on(page, language, ALLOWED, viewport is PHONE, data)
                problems += [f"[{language} {username}] {url}: {p}" for p in found]
            context.close()
    assert not problems, "\n".join(problems)
