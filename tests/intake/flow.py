"""Helpers that drive the workflow through the real actions (shared by tests/intake and tests/whistles)."""

from __future__ import annotations

from shaobao.intake import actions as intake
from shaobao.whistles import actions as wf
from shaobao.whistles.models import Summons


def new_demand(world, *, actor=None, **kw):
    values = {
        "channel": "grid_patrol",
        "kind": "complaint",
        "subject": "小区内私搭乱建",
        "body": "3号楼楼顶有人违建",
        "reporter_name": "张三",
        "reporter_phone": "13812345678",
        "address": "承平里3号楼",
        "street_code": world.street_a.code,
    }
    values.update(kw)
    return intake.do_receive_demand(actor=actor or world.users["grid_worker"], **values)


def blow(world, demands=None, **kw):
    demands = demands or [new_demand(world)]
    values = {"type": "routine", "matter_code": world.matter.code}
    values.update(kw)
    whistle = wf.do_blow_whistle(
        actor=world.users["dispatcher"], demand_ids=[d.pk for d in demands], **values
    )
    return whistle


def lead_of(whistle) -> Summons:
    return whistle.summonses.get(role="lead", state__in=["summoned", "reported_in", "finished", "disputed"])


def supporting_of(whistle) -> Summons:
    return whistle.summonses.get(role="supporting")


def fed_back(world, whistle=None):
    """A whistle whose units have all reported in and finished (state fed_back)."""
    whistle = whistle or blow(world)
    lead, sup = lead_of(whistle), supporting_of(whistle)
    wf.do_report_in(actor=world.users["lead_handler"], summons_id=lead.pk)
    wf.do_report_in(actor=world.users["supporting_handler"], summons_id=sup.pk)
    wf.do_finish(actor=world.users["supporting_handler"], summons_id=sup.pk, note="配合拆除完成")
    wf.do_finish(actor=world.users["lead_handler"], summons_id=lead.pk, note="违建已拆除")
    whistle.refresh_from_db()
    return whistle


def demand_in(world, state: str):
    """A demand brought to `state` through the real actions."""
    u = world.users
    d = new_demand(world)
    if state == "received":
        return d
    if state == "merged":
        other = new_demand(world, subject="同一违建")
        return intake.do_merge(actor=u["dispatcher"], demand_id=d.pk, into_id=other.pk)
    if state in ("self_handling", "handled"):
        d = intake.do_self_handle(actor=u["dispatcher"], demand_id=d.pk, unit_code=world.section_a.code)
        if state == "handled":
            d = intake.do_finish_self_handling(actor=u["section_handler"], demand_id=d.pk, note="已处理")
        return d
    if state == "whistled":
        blow(world, [d])
        d.refresh_from_db()
        return d
    d = intake.do_self_handle(actor=u["dispatcher"], demand_id=d.pk, unit_code=world.section_a.code)
    intake.do_finish_self_handling(actor=u["section_handler"], demand_id=d.pk, note="已处理")
    d = intake.do_verify_self_handling(actor=u["dispatcher"], demand_id=d.pk, passed=True)
    if state == "closed":
        return d
    if state == "called_back":
        return intake.do_callback(
            actor=u["dispatcher"], demand_id=d.pk, solved=True, satisfaction="satisfied"
        )
    if state == "reopened":
        return intake.do_callback(
            actor=u["dispatcher"], demand_id=d.pk, solved=False, satisfaction="unsatisfied"
        )
    raise ValueError(state)
