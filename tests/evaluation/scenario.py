"""A small October 2026 built by hand (rows written directly), with every case the indicators must handle.

Times are Asia/Shanghai. as_of = 2026-10-31 12:00. See test_scenario.py for the figures computed by hand.

W0 street A, CG  (September, closed Sep 30)    S0 lead CGZF — all on time
W1 street A, CG  closed Oct 10, no rework      S1 lead CGZF on time; S2 supp ZJW reported in late (30 h)
W2 street A, CG  closed Oct 25, reworked once  S3 lead CGZF, extension 3 days granted, finished on time
W3 street B, M2  handling                      S4 lead ZJW disputed → rejected, late, unfinished past due
                                               S5 supp CGZF disputed → upheld (withdrawn)
                                               S6 supp BH-CG disputed, pending arbitration, past due
W4 street B, CG  blown Oct 30                  S7 lead CGZF report-in not yet due at as_of
                                               S8 supp ZJW on time, extension running to Nov 6
Demands: D0 (W0, received Sep, callback Oct 2 satisfied), D1 (W1, satisfied), D2 (W1, basically
satisfied), D3 (W2, unsolved, unsatisfied), D4 (W3), D5 (street A self-handled by BH-CG, satisfied),
D6 (street B, no unit, basically satisfied), D7 (merged: ignored), D8 (W4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from shaobao.intake.models import Demand
from shaobao.whistles.models import Summons, Whistle
from tests.factories import DutyListFactory, MatterFactory

SH = ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2026, 10, 31, 12, 0, tzinfo=SH)


def t(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


@dataclass
class Scenario:
    world: object
    matter2: object
    whistles: dict
    summonses: dict
    demands: dict


def _whistle(world, street, matter, blown_at, *, closed_at=None, rework=0, state="handling"):
    return Whistle.objects.create(
        street=street,
        type="routine",
        matter=matter,
        state="closed" if closed_at else state,
        blown_by=world.users["dispatcher"],
        blown_at=blown_at,
        closed_at=closed_at,
        rework_count=rework,
    )


def _summons(
    whistle,
    unit,
    role,
    summoned_at,
    due_h,
    finish_due,
    *,
    state="finished",
    reported=None,
    finished=None,
    dispute="",
    ext=0,
):
    return Summons.objects.create(
        whistle=whistle,
        unit=unit,
        role=role,
        state=state,
        summoned_at=summoned_at,
        report_in_due=summoned_at + dt.timedelta(hours=due_h),
        report_in_warn_at=summoned_at,
        finish_due=finish_due,
        finish_warn_at=finish_due,
        reported_in_at=reported,
        finished_at=finished,
        dispute_reason=dispute,
        extension_days=ext,
    )


_seq = iter(range(1, 1000))


def _demand(
    street, matter, received_at, *, whistle=None, unit=None, callback=None, solved=None, sat="", state=None
):
    d = Demand.objects.create(
        tracking_code=f"T{next(_seq):06d}",
        channel="hotline_12345",
        subject="测试诉求",
        body="测试",
        street=street,
        matter=matter,
        assigned_unit=unit,
        state=state or ("called_back" if callback else "whistled"),
        received_at=received_at,
        called_back_at=callback,
        solved=solved,
        satisfaction=sat,
    )
    if whistle is not None:
        whistle.demands.add(d)
    return d


def build(world) -> Scenario:
    a, b = world.street_a, world.street_b
    cg = world.matter
    draft = DutyListFactory(district=world.district, name="草稿清单", version=2)
    m2 = MatterFactory(duty_list=draft, code="ZJ-001", name="房屋安全", lead_unit=world.supporting_unit)
    CGZF, ZJW, SEC = world.lead_unit, world.supporting_unit, world.section_a

    w = {
        0: _whistle(world, a, cg, t(9, 20), closed_at=t(9, 30)),
        1: _whistle(world, a, cg, t(10, 8), closed_at=t(10, 10)),
        2: _whistle(world, a, cg, t(10, 12), closed_at=t(10, 25), rework=1),
        3: _whistle(world, b, m2, t(10, 20)),
        4: _whistle(world, b, cg, t(10, 30)),
    }
    s = {
        0: _summons(w[0], CGZF, "lead", t(9, 20), 24, t(9, 30), reported=t(9, 20, 10), finished=t(9, 29)),
        1: _summons(w[1], CGZF, "lead", t(10, 8), 24, t(10, 17), reported=t(10, 8, 11), finished=t(10, 10)),
        2: _summons(
            w[1], ZJW, "supporting", t(10, 8), 24, t(10, 17), reported=t(10, 9, 15), finished=t(10, 10)
        ),
        3: _summons(
            w[2], CGZF, "lead", t(10, 12), 24, t(10, 23), reported=t(10, 12, 10), finished=t(10, 22), ext=3
        ),
        4: _summons(
            w[3],
            ZJW,
            "lead",
            t(10, 20),
            24,
            t(10, 28),
            state="reported_in",
            reported=t(10, 22),
            dispute="不属于本单位职责",
        ),
        5: _summons(
            w[3], CGZF, "supporting", t(10, 20), 24, t(10, 28), state="withdrawn", dispute="不属于本单位职责"
        ),
        6: _summons(
            w[3], SEC, "supporting", t(10, 20), 24, t(10, 28), state="disputed", dispute="应由社区处理"
        ),
        7: _summons(w[4], CGZF, "lead", t(10, 31, 9), 6, t(11, 10), state="summoned"),
        8: _summons(
            w[4],
            ZJW,
            "supporting",
            t(10, 30),
            24,
            t(11, 6),
            state="reported_in",
            reported=t(10, 30, 10),
            ext=5,
        ),
    }
    d = {
        0: _demand(a, cg, t(9, 19), whistle=w[0], callback=t(10, 2), solved=True, sat="satisfied"),
        1: _demand(a, cg, t(10, 8, 8), whistle=w[1], callback=t(10, 12), solved=True, sat="satisfied"),
        2: _demand(
            a, cg, t(10, 8, 8), whistle=w[1], callback=t(10, 12), solved=True, sat="basically_satisfied"
        ),
        3: _demand(a, cg, t(10, 12, 8), whistle=w[2], callback=t(10, 26), solved=False, sat="unsatisfied"),
        4: _demand(b, m2, t(10, 20, 8), whistle=w[3]),
        5: _demand(a, cg, t(10, 14), unit=SEC, callback=t(10, 15), solved=True, sat="satisfied"),
        6: _demand(b, m2, t(10, 15), callback=t(10, 16), solved=True, sat="basically_satisfied"),
        7: _demand(a, cg, t(10, 5), state="merged"),
        8: _demand(b, cg, t(10, 30, 8), whistle=w[4]),
    }
    return Scenario(world, m2, w, s, d)


def fig(ind, code):
    """An indicator as (numerator, denominator)."""
    f = ind[code]
    return (f.num, f.den)


def approx(x):
    return pytest.approx(x, abs=1e-9)
