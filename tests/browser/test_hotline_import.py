"""The 12345 import page in a real browser, as a district coordinator uses it: a spreadsheet with a bad cell
is refused with its row and column and writes nothing; the corrected one is imported with our tracking codes;
the same file again answers "already received". In one language per page, at desktop and at 375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shaobao.hotline.models import HotlineOrder
from shaobao.intake.models import Demand
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.integration.test_hotline import workbook, xrow

pytestmark = pytest.mark.django_db(transaction=True)


def _write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_bytes(workbook(rows).getvalue())
    return str(path)


@pytest.mark.parametrize(
    ("language", "phone"), [("zh-hans", False), ("en", True)], ids=["zh-desktop", "en-phone"]
)
def test_coordinator_imports_a_spreadsheet_of_work_orders(
    world, live_server, browser, tmp_path, screenshots, language, phone
):
    base = live_server.url
    viewport = {"width": 375, "height": 812} if phone else {"width": 1366, "height": 768}
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = context.new_page()
    log_in(page, base, "coordinator")
    page.goto(f"{base}/hotline/import/")
    zh = language == "zh-hans"

    bad = xrow(2)
    bad[3] = "not a phone"
    page.set_input_files("#import-form input[type=file]", _write(tmp_path, "bad.xlsx", [xrow(1), bad]))
    page.click("#import-form button[type=submit]")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("电话号码格式不正确" if zh else "phone")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody td").nth(0)).to_have_text("3")
    expect(errors.locator("tbody td").nth(1)).to_have_text("D")
    assert Demand.objects.count() == 0 and HotlineOrder.objects.count() == 0  # nothing half-written
    problems = problems_on(
        page, language, {w.lower() for w in ALLOWED_ASCII}, phone, user_data_from_database()
    )

    good = _write(tmp_path, "good.xlsx", [xrow(1), xrow(2), xrow(3)])
    page.set_input_files("#import-form input[type=file]", good)
    page.click("#import-form button[type=submit]")
    result = page.locator("#import-result")
    expect(result.locator("tbody tr")).to_have_count(3)
    codes = list(Demand.objects.order_by("pk").values_list("tracking_code", flat=True))
    assert len(codes) == 3
    for code in codes:
        expect(result).to_contain_text(code)
    page.screenshot(path=str(screenshots / f"hotline-import-{language}{'-375' if phone else ''}.png"))
    problems += problems_on(
        page, language, {w.lower() for w in ALLOWED_ASCII}, phone, user_data_from_database()
    )

    page.set_input_files("#import-form input[type=file]", good)  # the same file again
    page.click("#import-form button[type=submit]")
    expect(result).to_contain_text("新增 0 条，已受理过 3 条" if zh else "0 new, 3 already received")
    assert Demand.objects.count() == 3

    result.locator("tbody a").first.click()  # the tracking code opens the demand
    expect(page.locator("h1")).to_contain_text(codes[0])
    context.close()
    assert problems == [], "\n".join(problems)
