"""A hotline demand whose words name a road crossing two streets: the coordinator sees the candidates in the
unplaced queue and places it in one click (zh-Hans, and at 375 px wide)."""

from __future__ import annotations

import pytest

from shaobao.intake.actions import do_receive_demand
from shaobao.org.models import GazetteerEntry
from tests.browser.test_chain import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 375])
def test_the_coordinator_picks_a_candidate_in_the_unplaced_queue(
    live_server, world, new_page, screenshots, width
):
    for street in (world.street_a, world.street_b):
        GazetteerEntry.objects.create(name="新平北路", kind="road", street=street)
    demand = do_receive_demand(
        actor=world.users["dispatcher"],
        channel="hotline_12345",
        kind="complaint",
        subject="占道经营",
        body="新平北路上有人占道经营",
    )
    assert demand.street is None and len(demand.placement_candidates) == 2

    page = new_page()
    page.set_viewport_size({"width": width, "height": 812})
    log_in(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/whistles/inbox/?section=unplaced")
    button = page.locator(
        f".placement-candidates[data-demand='{demand.pk}'] button[data-candidate='{world.street_b.code}']"
    )
    assert "兴谷街道" in button.inner_text()
    page.screenshot(path=str(screenshots / f"placement-candidates-{width}.png"), full_page=True)
    button.click()
    page.wait_for_load_state()
    demand.refresh_from_db()
    assert demand.street == world.street_b and demand.placement_source == "manual"
    assert demand.placement_candidates == []
