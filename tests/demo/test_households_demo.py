"""The demo's grids and households: a grid worker on every grid, a few thousand households in groups of five
with a lead, synthetic phones in the unused 100 range, and a past emergency whose board shows real figures to
the coordinator and to the demo grid worker and group lead."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from shaobao.households import selectors
from shaobao.households.models import GridWorker, Household, HouseholdGroup
from shaobao.org.models import Grid, User
from shaobao.platform.models import Broadcast

pytestmark = pytest.mark.django_db


def test_demo_households(client):
    call_command("load_demo", "--no-month", stdout=StringIO())
    grids = Grid.objects.filter(community__code__startswith="110117")
    assert set(GridWorker.objects.filter(kind="full_time").values_list("grid_id", flat=True)) == set(
        grids.values_list("pk", flat=True)
    )
    assert GridWorker.objects.filter(kind="part_time").exists()
    n = Household.objects.count()
    assert 2000 <= n <= 10000
    assert all(
        h.startswith("100") and len(h) == 11 for h in Household.objects.values_list("head_phone", flat=True)
    )
    sizes = set(HouseholdGroup.objects.annotate(n=Count("households")).values_list("n", flat=True))
    assert sizes == {5}
    assert not HouseholdGroup.objects.filter(lead__isnull=True).exists()
    assert all(g.lead.group_id == g.pk for g in HouseholdGroup.objects.select_related("lead")[:50])

    broadcast = Broadcast.objects.get(household_reach__isnull=False)
    coordinator = User.objects.get(username="coordinator")
    board = selectors.board(coordinator, broadcast)
    t = board["total"]
    assert t["households"] > 100 and 0 < t["moved"] < t["reached"] <= t["households"]
    assert t["missing"] > 0 and t["pending"] > 0
    assert t["reached"] + t["missing"] + t["pending"] == t["households"]

    worker = User.objects.get(username="gridworker")
    assert selectors.households_for(worker).count() == 10
    assert len(selectors.board(worker, broadcast)["rows"]) == 1
    lead = User.objects.get(username="grouplead")
    assert selectors.households_for(lead).count() == 5

    # Reloading gives the same figures.
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert Household.objects.count() == n
    client.force_login(User.objects.get(username="gridworker"))
    broadcast = Broadcast.objects.get(household_reach__isnull=False)
    assert client.get(f"/grids/emergencies/{broadcast.pk}/tap/").status_code == 200
