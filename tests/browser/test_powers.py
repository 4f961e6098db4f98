"""Delegated powers in a real browser: the district imports the list (a wrong file first: errors with row and
column, nothing written), edits a power to cover a matter, and the street's triage page then proposes its own
enforcement team and says why. Every page visited is checked in one language (zh and en) at desktop and
375 px (tests/browser/pagewalk.problems_on)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from shaobao.powers.models import DelegatedPower, StationedStaff
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, settle, user_data_from_database
from tests.browser.test_chain import log_in
from tests.factories import UnitFactory
from tests.intake.flow import blow, new_demand
from tests.powers.conftest import xlsx

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Routing keeps a duty list's keyword model per list id, and the page a proposal for a minute: a list
    of an earlier test with the same id must not answer here."""
    from django.core.cache import cache

    from shaobao.routing import duplicates, places, registry

    for clear in (registry.clear_cache, places.clear_cache, duplicates.clear_cache, cache.clear):
        clear()
    yield
    for clear in (registry.clear_cache, places.clear_cache, duplicates.clear_cache, cache.clear):
        clear()


GOOD = [
    "CF0001",
    "对违法建设的行政处罚",
    "行政处罚",
    "《北京市城乡规划条例》第六十八条",
    "CGZF",
    "全部",
    dt.date(2019, 7, 1),
    "",
    "否",
    None,
]
BAD = ["CF0002", "对占道经营的行政处罚", "行政处罚", "", "CGZF", "全部", dt.date(2019, 7, 1), "", "否", None]


def _context(browser, language: str, phone: bool):
    viewport = {"width": 375, "height": 812} if phone else {"width": 1366, "height": 768}
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    return context


def _check(page, base, language, phone, problems, user_data):
    found = problems_on(page, language, {w.lower() for w in ALLOWED_ASCII}, phone, user_data)
    problems.extend(f"{language} {'375' if phone else 'desktop'} {page.url[len(base) :]}: {p}" for p in found)


def test_district_imports_and_edits_a_power_and_triage_says_why(
    world, live_server, browser, tmp_path, screenshots
):
    UnitFactory(code="BH-ZFD", name="滨河街道综合执法队", kind="enforcement_team", division=world.street_a)
    base = live_server.url
    context = _context(browser, "zh-hans", phone=False)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page = context.new_page()
    log_in(page, base, "coordinator")

    bad = tmp_path / "powers-bad.xlsx"
    bad.write_bytes(xlsx([GOOD, BAD]))
    page.goto(f"{base}/powers/import/")
    page.set_input_files("#import-form input[type=file]", str(bad))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-errors")).to_contain_text("第3行")
    expect(page.locator("#import-errors")).to_contain_text("D列")
    assert not DelegatedPower.objects.exists()

    good = tmp_path / "powers.xlsx"
    good.write_bytes(xlsx([GOOD]))
    page.set_input_files("#import-form input[type=file]", str(good))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(f"{base}/powers/")
    expect(page.locator("table.powers")).to_contain_text("对违法建设的行政处罚")
    power = DelegatedPower.objects.get()

    page.goto(f"{base}/powers/{power.pk}/edit/")
    page.select_option("#power-form select[name=matters]", [world.matter.code])
    page.fill("#power-form input[name=note]", "覆盖违法建设事项")
    page.click("#power-form button[type=submit]")
    page.wait_for_url(f"{base}/powers/{power.pk}/")
    expect(page.locator("table.versions tbody tr")).to_have_count(2)
    assert list(power.matters.values_list("matter_code", flat=True)) == [world.matter.code]
    page.screenshot(path=str(screenshots / "power-detail.png"))
    context.close()

    demand = new_demand(world, subject="小区里私搭乱建", body="楼顶加盖彩钢房")
    context = _context(browser, "zh-hans", phone=False)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/demands/{demand.pk}/")
    reason = page.locator("#self-handling-reason")
    expect(reason).to_contain_text("CF0001")
    expect(reason).to_contain_text("2019-07-01")
    expect(page.locator("#self-handle-form select[name=unit_code]")).to_have_value("BH-ZFD")
    page.screenshot(path=str(screenshots / "triage-self-handling.png"))
    context.close()


def test_powers_pages_speak_one_language_and_fit_a_phone(world, live_server, browser):
    from shaobao.powers import actions

    UnitFactory(code="BH-ZFD", name="滨河街道综合执法队", kind="enforcement_team", division=world.street_a)
    power = actions.do_create_power(
        actor=world.users["coordinator"], district=world.district, code="CF0001", name="对违法建设的行政处罚",
        category="penalty", legal_basis="《北京市城乡规划条例》第六十八条", department=world.lead_unit.code,
        streets=[world.street_a.code], effective_date=dt.date(2019, 7, 1), matters=[world.matter.code],
    )  # fmt: skip
    staff = StationedStaff.objects.create(
        street=world.street_a,
        department=world.lead_unit,
        name="王派驻",
        position="执法队员",
        since=dt.date(2021, 1, 1),
    )
    summons = blow(world).summonses.get(role="lead")
    note = actions.do_file_note(
        actor=world.users["street_leader"], summons_id=summons.pk, kind="urge", text="请加快"
    )
    rec = actions.do_file_recommendation(
        actor=world.users["street_leader"], staff_id=staff.pk, kind="removal", reason="推诿"
    )
    demand = new_demand(world, subject="小区里私搭乱建", body="楼顶加盖彩钢房")
    user_data = user_data_from_database()
    base = live_server.url
    pages = {
        "coordinator": [
            "/powers/",
            f"/powers/{power.pk}/",
            f"/powers/{power.pk}/edit/",
            "/powers/new/",
            "/powers/import/",
        ],
        "street_leader": [
            "/powers/street/",
            f"/powers/notes/{note.pk}/",
            f"/powers/recommendations/{rec.pk}/",
        ],
        "lead_leader": ["/powers/street/", f"/powers/notes/{note.pk}/", f"/powers/recommendations/{rec.pk}/"],
        "dispatcher": [f"/demands/{demand.pk}/", "/powers/"],
    }
    problems: list[str] = []
    for language, phone in (("zh-hans", False), ("en", True), ("zh-hans", True)):
        for username, paths in pages.items():
            context = _context(browser, language, phone)
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            log_in(page, base, username)
            for path in paths:
                response = page.goto(base + path)
                assert response.status == 200, path
                settle(page)
                _check(page, base, language, phone, problems, user_data)
            context.close()
    assert problems == [], "\n".join(problems)
