"""The whole chain through the actions: demand in → whistle → report in → finish → verify → callback."""

from __future__ import annotations

import pytest

from shaobao.core.audit import history
from shaobao.core.models import Notification
from shaobao.intake import actions as intake
from shaobao.whistles import actions as wf
from tests.intake.flow import blow, lead_of, new_demand, supporting_of

pytestmark = pytest.mark.django_db


def test_full_chain_from_demand_to_callback(world, django_capture_on_commit_callbacks):
    u = world.users
    with django_capture_on_commit_callbacks(execute=True):
        demand = new_demand(world)
    assert demand.state == "received" and demand.street == world.street_a
    with django_capture_on_commit_callbacks(execute=True):
        whistle = blow(world, [demand])
    demand.refresh_from_db()
    assert demand.state == "whistled"
    assert whistle.state == "blown"
    lead, sup = lead_of(whistle), supporting_of(whistle)
    assert lead.unit == world.lead_unit and sup.unit == world.supporting_unit
    assert Notification.objects.filter(user=u["lead_handler"]).exists()

    wf.do_report_in(actor=u["lead_handler"], summons_id=lead.pk)
    whistle.refresh_from_db()
    assert whistle.state == "handling"
    wf.do_report_in(actor=u["supporting_handler"], summons_id=sup.pk)
    wf.do_record_progress(actor=u["lead_handler"], summons_id=lead.pk, note="现场勘查")
    wf.do_finish(actor=u["supporting_handler"], summons_id=sup.pk, note="配合完成")
    wf.do_finish(actor=u["lead_handler"], summons_id=lead.pk, note="违建已拆除")
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"

    wf.do_verify(actor=u["dispatcher"], whistle_id=whistle.pk, passed=True, note="现场核查通过")
    whistle.refresh_from_db()
    demand.refresh_from_db()
    assert whistle.state == "closed" and demand.state == "closed"

    intake.do_callback(actor=u["dispatcher"], demand_id=demand.pk, solved=True, satisfaction="satisfied")
    demand.refresh_from_db()
    assert demand.state == "called_back" and demand.satisfaction == "satisfied"
    actions = [e.action for e in history(demand)]
    assert actions == ["receive", "blow_whistle", "whistle_closed", "callback_satisfied"]
