"""Steps of the simulated month shared by its two halves (month.py: demands and self-handling;
month_whistle.py: the whistle chain), kept apart so that those two do not import each other."""

from __future__ import annotations

import datetime as dt


class Later(Exception):
    """The step would happen after the real present: the chain stops here (the item stays open)."""


def callback(sim, demand, t: dt.datetime, dispatcher) -> None:
    from shaobao.intake import actions as intake

    r = sim.rng.random()
    satisfaction = "satisfied" if r < 0.68 else "basically_satisfied" if r < 0.88 else "unsatisfied"
    solved = sim.rng.random() < (0.95 if satisfaction != "unsatisfied" else 0.4)
    sim.at(
        t,
        intake.do_callback,
        actor=dispatcher,
        demand_id=demand.pk,
        solved=solved,
        satisfaction=satisfaction,
        note="电话回访",
    )
    sim.count(f"callback_{satisfaction}")
