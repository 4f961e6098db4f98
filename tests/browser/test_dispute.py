"""A dispute in a real browser: the lead department says "not ours", the district coordinator upholds it
and summons another unit in its place, which then reports in."""

from __future__ import annotations

import pytest

from shaobao.intake.actions import do_receive_demand
from shaobao.whistles.actions import do_blow_whistle
from tests.browser.test_chain import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_dispute_upheld_and_reassigned_through_the_ui(live_server, world, new_page, screenshots):
    base = live_server.url
    demand = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="违建",
        body="楼顶违建",
        street_code=world.street_a.code,
    )
    whistle = do_blow_whistle(
        actor=world.users["dispatcher"],
        demand_ids=[demand.pk],
        type="routine",
        matter_code="CG-001",
        supporting_unit_codes=[],
    )
    lead = whistle.summonses.get(role="lead")

    handler = new_page()
    log_in(handler, base, "lead_handler")
    handler.goto(f"{base}/whistles/{whistle.pk}/")
    handler.click("summary:has-text('异议')")
    handler.fill(f"form[action$='/summons/{lead.pk}/dispute/'] textarea[name=reason]", "属于住建委职责")
    handler.click(f"form[action$='/summons/{lead.pk}/dispute/'] button[type=submit]")
    handler.wait_for_selector(".state-disputed")

    coordinator = new_page()
    log_in(coordinator, base, "coordinator")
    coordinator.goto(f"{base}/whistles/inbox/?section=disputes")
    coordinator.click(f"a[href='/whistles/{whistle.pk}/']")
    form = f"form[action$='/summons/{lead.pk}/arbitrate/']"
    assert coordinator.locator(f"{form} input[name=decision]:checked").count() == 0  # no preset decision
    coordinator.check(f"{form} input[name=decision][value=uphold]")
    # type-ahead: typing part of the name offers the units the street may summon
    coordinator.locator(f"{form} input[name=reassign_to]").press_sequentially("住房")
    coordinator.wait_for_selector(
        f"datalist#units-{lead.pk} option[value^='{world.supporting_unit.code}']", state="attached"
    )
    coordinator.fill(f"{form} input[name=reassign_to]", world.supporting_unit.code)
    coordinator.check(f"{form} input[name=confirm]")
    coordinator.screenshot(path=str(screenshots / "07-arbitration.png"), full_page=True)
    coordinator.click(f"{form} button[type=submit]")
    coordinator.wait_for_selector(".state-withdrawn")

    lead.refresh_from_db()
    assert lead.state == "withdrawn"
    replacement = whistle.summonses.exclude(pk=lead.pk).get()
    assert replacement.unit == world.supporting_unit and replacement.role == "lead"

    other = new_page()
    log_in(other, base, "supporting_handler")
    other.goto(f"{base}/whistles/{whistle.pk}/")
    other.click("button[name=report_in]")
    other.wait_for_selector(".state-reported_in")
    replacement.refresh_from_db()
    assert replacement.state == "reported_in"
