"""Village work teams in a real browser: the district coordinator records a review (zh, desktop); a team
member records a household visit and moves a measure on a 375 px phone (en); every work-team page speaks
one language and fits the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shaobao.workteams.models import HouseholdVisit, Measure, TeamReview, WorkTeam
from tests.browser.pagewalk import ALLOWED_ASCII, problems_on, settle, user_data_from_database
from tests.browser.test_chain import log_in
from tests.workteams.conftest import make_teams

pytestmark = pytest.mark.django_db(transaction=True)
ALLOWED = {w.lower() for w in ALLOWED_ASCII}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def teams(world):
    return make_teams(world)


def context_page(browser, base, language, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context, context.new_page()


def check(page, language, phone, data):
    problems = problems_on(page, language, ALLOWED, phone, data)
    assert not problems, f"{page.url}: {problems}"


def test_coordinator_records_a_review(
    live_server,
    world,
    teams,
    browser,
    screenshots,
):
    WorkTeam.objects.filter(pk=teams.team_a.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    base = live_server.url
    context, page = context_page(browser, base, "zh-hans", DESKTOP)
    log_in(page, base, "coordinator")
    page.goto(f"{base}/work-teams/?overdue=on")
    data = user_data_from_database()
    check(page, "zh-hans", False, data)
    page.click(f"a[href='/work-teams/{teams.team_a.pk}/']")
    expect(page.locator("#review-overdue")).to_be_visible()
    check(page, "zh-hans", False, data)
    page.fill("#review-form textarea[name=progress]", "村两委班子已调整到位")
    page.fill("#review-form textarea[name=problems]", "产业项目资金未落实")
    page.fill("#review-form textarea[name=next_measures]", "对接区农业农村局")
    page.check("#review-form input[name=confirm]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#review-form button[type=submit]")
    expect(page.locator("#reviews")).to_contain_text("产业项目资金未落实")
    expect(page.locator("#review-overdue")).to_have_count(0)
    page.screenshot(path=str(screenshots / "workteams-review.png"), full_page=True)
    assert TeamReview.objects.filter(team=teams.team_a, reviewer=world.users["coordinator"]).count() == 1
    page.goto(f"{base}/work-teams/reports/")
    expect(page.locator("#chart-kinds canvas")).to_have_count(1)
    check(page, "zh-hans", False, data)
    context.close()


def test_member_records_a_visit_on_a_phone(live_server, world, teams, browser, screenshots):
    from shaobao.workteams import actions

    owner = teams.team_a.members.get(post="village_official")
    measure = actions.do_add_measure(
        actor=world.users["coordinator"],
        team_id=teams.team_a.pk,
        title="修缮村级活动场所",
        owner_id=owner.pk,
        working_days=10,
    )
    base = live_server.url
    context, page = context_page(browser, base, "en", PHONE)
    log_in(page, base, "member")
    page.goto(f"{base}/work-teams/")
    data = user_data_from_database()
    check(page, "en", True, data)
    page.click(".mine a.button")
    expect(page.locator("#visit-form")).to_be_visible()
    check(page, "en", True, data)
    page.fill("#visit-form input[name=household]", "刘家")
    page.fill("#visit-form input[name=address]", "承平里5排2号")
    page.fill("#visit-form textarea[name=notes]", "老人独居，需要助餐")
    page.click("#visit-form button[type=submit]")
    expect(page.locator("#visits")).to_contain_text("刘家")
    visit = HouseholdVisit.objects.get()
    assert visit.member.cadre.user == teams.member and visit.visited_on == actions.today()
    page.click(f"#measure-{measure.pk} button:has-text('in progress')")
    expect(page.locator(f"#measure-{measure.pk} .state")).to_have_text("in progress")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#measure-{measure.pk} button:has-text('done')")
    expect(page.locator(f"#measure-{measure.pk} .state")).to_have_text("done")
    assert Measure.objects.get(pk=measure.pk).state == "done"
    check(page, "en", True, data)
    page.screenshot(path=str(screenshots / "workteams-member-phone.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("language, viewport", [("en", DESKTOP), ("zh-hans", PHONE)])
def test_work_team_pages_speak_one_language(live_server, world, teams, browser, language, viewport):
    WorkTeam.objects.filter(pk=teams.team_b.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    base = live_server.url
    context, page = context_page(browser, base, language, viewport)
    log_in(page, base, "coordinator")
    data = user_data_from_database()
    for path in ("/work-teams/", f"/work-teams/{teams.team_b.pk}/", "/work-teams/reports/"):
        page.goto(base + path)
        settle(page)
        check(page, language, viewport is PHONE, data)
    context.close()


@pytest.mark.parametrize("language, viewport", [("zh-hans", DESKTOP), ("en", PHONE)])
def test_coordinator_sends_a_team_and_changes_its_members(
    live_server, world, teams, browser, screenshots, language, viewport
):
    base = live_server.url
    context, page = context_page(browser, base, language, viewport)
    log_in(page, base, "coordinator")
    data = user_data_from_database()
    page.goto(f"{base}/work-teams/")
    page.click("#new-team")
    check(page, language, viewport is PHONE, data)
    page.select_option("#team-form select[name=village]", world.community_b1.code)
    page.select_option("#team-form select[name=kind]", "weak_and_lax")
    posts = ["team_leader", "first_secretary", "village_official"]  # three: too few, no specialist
    for i, (cadre, post) in enumerate(zip(teams.spare[:3], posts, strict=True), start=1):
        page.select_option(f"#team-form select[name=cadre_{i}]", str(cadre.pk))
        page.select_option(f"#team-form select[name=post_{i}]", post)
    page.click("#team-form button[type=submit]")
    expect(page.locator("#team-errors")).to_be_visible()
    check(page, language, viewport is PHONE, data)  # the refusal speaks the page's language
    assert WorkTeam.objects.count() == 2
    page.select_option("#team-form select[name=cadre_4]", str(teams.spare[3].pk))
    page.select_option("#team-form select[name=post_4]", "specialist")
    page.click("#team-form button[type=submit]")
    expect(page.locator("#add-member")).to_be_visible()
    team = WorkTeam.objects.exclude(pk__in=[teams.team_a.pk, teams.team_b.pk]).get()
    assert team.members.count() == 4
    check(page, language, viewport is PHONE, data)
    page.locator("#add-member").evaluate("d => { d.open = true; }")  # (the check opened every <details>)
    page.select_option("#add-member select[name=cadre]", str(teams.spare[4].pk))
    page.select_option("#add-member select[name=post]", "selected_graduate")
    page.click("#add-member button[type=submit]")
    expect(page.locator("table.members tbody tr")).to_have_count(5)
    seat = team.members.get(cadre=teams.spare[4])
    row = page.locator("table.members tbody tr", has=page.locator(f"input[name=member][value='{seat.pk}']"))
    row.locator("details").evaluate("d => { d.open = true; }")
    row.locator("input[name=confirm]").check()
    row.locator("button[type=submit]").click()
    expect(page.locator("table.members tbody tr.muted")).to_have_count(1)
    assert team.members.filter(left_on__isnull=True).count() == 4
    check(page, language, viewport is PHONE, data)
    page.screenshot(path=str(screenshots / f"workteams-send-{language}.png"), full_page=True)
    context.close()
