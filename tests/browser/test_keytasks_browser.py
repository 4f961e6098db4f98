"""Key tasks in a real browser: the coordinator picks the month's topic from the candidates (chart drawn,
confirmation) and sees the topic's before/after chart (zh, desktop); a lead unit's handler reports
progress on a phone (en, 375 px). Both pages in one language (pagewalk.problems_on)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shaobao.keytasks.models import KeyTask, Topic
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, user_data_from_database
from tests.browser.test_chain import log_in
from tests.keytasks.conftest import demand, make_task  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def _context(browser, base, language, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context


def test_coordinator_picks_a_topic_and_sees_the_chart(world, live_server, browser, screenshots):
    month = timezone.localtime().replace(day=1) - dt.timedelta(days=1)
    for i in range(4):
        demand(world, month.replace(day=1 + i, hour=9), community=world.community_a1, phone="13900000001")
    base = live_server.url
    context = _context(browser, base, "zh-hans", {"width": 1366, "height": 768})
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    log_in(page, base, "coordinator")
    page.goto(f"{base}/key-tasks/topics/?month={month:%Y-%m}")
    expect(page.locator("#chart-candidates canvas")).to_have_count(1)
    assert problems_on(page, "zh-hans", ALLOWED_ASCII, False, user_data_from_database()) == []
    page.locator("a.button", has_text="选题").first.click()
    page.fill("textarea[name=measures]", "联合整治，源头治理")
    page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=40)).isoformat())
    page.click("#choose-topic")
    expect(page.locator("#chart-before-after canvas")).to_have_count(1)
    topic = Topic.objects.get()
    assert page.url.endswith(f"/key-tasks/topics/{topic.pk}/")
    assert topic.key_task.lead_unit == world.lead_unit
    assert problems_on(page, "zh-hans", ALLOWED_ASCII, False, user_data_from_database()) == []
    page.screenshot(path=str(screenshots / "keytasks-topic.png"), full_page=True)
    context.close()


def test_a_unit_reports_progress_on_a_phone_in_english(world, make_task, live_server, browser, screenshots):  # noqa: F811
    # two participating units: their names are joined on the task page, in English too
    task = make_task(now=timezone.now(), days_ahead=30, participating_units=["ZJW", "BH-CG"])
    base = live_server.url
    context = _context(browser, base, "en", {"width": 375, "height": 812})
    page = context.new_page()
    log_in(page, base, "lead_handler")
    page.goto(f"{base}/key-tasks/")
    expect(page.locator("table.kt-tasks tr", has_text="老旧小区加装电梯")).to_be_visible()
    assert problems_on(page, "en", ALLOWED_ASCII, True, user_data_from_database()) == []
    page.goto(f"{base}/key-tasks/{task.pk}/")
    page.fill("textarea[name=note]", "Survey done")
    page.fill("input[name=percent]", "40")
    page.select_option("select[name=milestone]", index=1)
    page.click("#report button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Progress reported")
    assert problems_on(page, "en", ALLOWED_ASCII, True, user_data_from_database()) == []
    page.screenshot(path=str(screenshots / "keytasks-progress-phone.png"), full_page=True)
    task.refresh_from_db()
    assert (
        task.progress == 40
        and KeyTask.objects.get(pk=task.pk).milestones.filter(done_at__isnull=False).count() == 1
    )
    context.close()
