"""The simulated month goes through the real actions, in the simulated past, and feeds every indicator."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shaobao.core.models import Event
from shaobao.demo.month import simulate_month
from shaobao.evaluation.indicators import Period, plain, table
from shaobao.evaluation.models import MonthlySurvey, RollupRun, UnitRating
from shaobao.intake.models import Demand
from shaobao.whistles.models import Summons, Whistle


def test_simulated_month(world):
    """One simulation (it takes a while), three behaviours checked below."""
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    result = simulate_month(world.district, month=month, seed=3, per_day=3)
    simulated = world, Period.month(month), result
    happens_in_the_past_through_the_actions(simulated)
    places_demands_inside_their_streets_grids(simulated)
    covers_the_cases_the_evaluation_measures(simulated)
    rollup_after_simulation_equals_raw_recomputation(simulated)


def happens_in_the_past_through_the_actions(simulated):
    world, period, result = simulated
    assert result.demands == Demand.objects.count() > 60
    first = min(Demand.objects.values_list("received_at", flat=True))
    assert timezone.localtime(first).date() >= period.first
    blown = Whistle.objects.values_list("blown_at", flat=True)
    assert blown and all(timezone.localtime(b).date() >= period.first for b in blown)
    # The audit trail was written by the actions, at the simulated times.
    events = Event.objects.filter(action__in=["blow", "report_in", "verify_pass", "callback_satisfied"])
    assert {e.action for e in events} >= {"blow", "report_in"}
    assert min(e.at for e in events).date() <= period.last
    assert not Event.objects.filter(at__gt=timezone.now()).exists()


def places_demands_inside_their_streets_grids(simulated):
    """Demo demands carry coordinates that placement puts on a grid of the street they were sent to (the live
    map and hot spots show them); a street without grids gets demands without coordinates."""
    world, period, result = simulated
    in_a = Demand.objects.filter(street=world.street_a)
    assert in_a.exists() and not in_a.filter(grid__isnull=True).exists()
    assert set(in_a.values_list("grid__community__parent", flat=True)) == {world.street_a.id}
    assert not in_a.filter(lat__isnull=True).exists()
    in_b = Demand.objects.filter(street=world.street_b)
    assert in_b.exists() and not in_b.filter(lat__isnull=False).exists()


def covers_the_cases_the_evaluation_measures(simulated):
    world, period, result = simulated
    stats = result.stats
    for case in ("report_in_late", "report_in_on_time", "self_handled", "callback_satisfied"):
        assert stats.get(case, 0) > 0, case
    assert Summons.objects.exclude(dispute_reason="").exists()
    assert Demand.objects.exclude(satisfaction="").values("satisfaction").distinct().count() >= 2
    assert UnitRating.objects.exists() and MonthlySurvey.objects.exists()


def rollup_after_simulation_equals_raw_recomputation(simulated):
    world, period, result = simulated
    as_of = RollupRun.objects.latest("as_of").as_of
    for dim in ("unit", "street", "district"):
        rolled = {k: plain(v) for k, v in table(dim, period).items()}
        raw = {k: plain(v) for k, v in table(dim, period, raw=True, as_of=as_of).items()}
        assert rolled == raw and rolled
