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
    whistle = wf.do_blow_whistle(actor=world.users["dispatcher"], demand_ids=[d.pk for d in demands], **values)
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
