"""The intake desk: after a call is recorded, the operator sees the caller's earlier demands (by phone,
masked, with states; only for roles that may see reporters) and the likely duplicates, and attaches the
new call to one of them with the audited merge — on the demand page and through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.core.models import Event
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db

PHONE = "13900004321"


@pytest.fixture
def earlier(world):
    first = new_demand(world, subject="楼道灯坏了", reporter_phone=PHONE, reporter_name="欧阳娜娜")
    elsewhere = new_demand(world, reporter_phone=PHONE, street_code=world.street_b.code)
    return first, elsewhere


def test_the_demand_page_shows_the_callers_earlier_demands_and_attaches_the_call(client, world, earlier):
    first, elsewhere = earlier
    call = new_demand(
        world, subject="还是楼道灯的问题", reporter_phone=PHONE, actor=world.users["dispatcher"]
    )
    client.force_login(world.users["dispatcher"])
    page = client.get(reverse("intake:demand_detail", args=[call.pk])).content.decode()
    panel = page[page.index('id="caller-history"') :]
    assert first.tracking_code in panel and "139****4321" in panel and "欧***" in panel
    assert PHONE not in page and "欧阳娜娜" not in page
    assert elsewhere.tracking_code not in panel  # another street's demand: not this dispatcher's to see
    assert "已受理" in panel  # its state
    response = client.post(
        reverse("intake:merge", args=[call.pk]), {"into_id": first.pk, "note": "同一来电人"}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.state == "merged" and call.merged_into_id == first.pk
    assert Event.objects.filter(subject_id=call.pk, action="merge", actor=world.users["dispatcher"]).exists()
    assert Event.objects.filter(subject_id=first.pk, action="absorb").exists()


def test_the_staff_form_shows_the_callers_earlier_demands_as_the_number_is_typed(client, world, earlier):
    first, elsewhere = earlier
    client.force_login(world.users["dispatcher"])
    form = client.get(reverse("intake:new_demand")).content.decode()
    assert reverse("intake:caller_lookup") in form and 'id="caller-history-slot"' in form
    panel = client.get(reverse("intake:caller_lookup"), {"reporter_phone": "139 0000 4321"}).content.decode()
    assert first.tracking_code in panel and "139****4321" in panel and PHONE not in panel
    assert elsewhere.tracking_code not in panel
    assert client.get(reverse("intake:caller_lookup"), {"reporter_phone": "139"}).content == b""
    client.force_login(world.users["grid_worker"])
    panel = client.get(reverse("intake:caller_lookup"), {"reporter_phone": PHONE}).content.decode()
    assert first.tracking_code not in panel  # may not see reporters: a number tells nothing


def test_the_coordinator_sees_every_street_of_the_district(client, world, earlier):
    first, elsewhere = earlier
    call = new_demand(world, reporter_phone=PHONE)
    from shaobao.intake.selectors import caller_history

    codes = {d.tracking_code for d in caller_history(world.users["coordinator"], call)}
    assert codes == {first.tracking_code, elsewhere.tracking_code}


@pytest.mark.parametrize("who", ["street_leader", "grid_worker", "lead_handler"])
def test_roles_that_may_not_see_reporters_get_no_caller_history(world, earlier, who):
    from shaobao.intake.selectors import caller_history

    call = new_demand(world, reporter_phone=PHONE)
    assert caller_history(world.users[who], call) == []


def test_the_api_answers_the_desk_at_intake_and_merges_on_request(world, earlier, api_as):  # noqa: F811
    first, _elsewhere = earlier
    dispatcher = api_as("dispatcher")
    body = {
        "channel": "hotline_12345",
        "kind": "complaint",
        "subject": "楼道灯坏了",
        "body": "楼道灯坏了好几天",
        "reporter_name": "欧阳娜娜",
        "reporter_phone": PHONE,
        "address": "承平里3号楼",
        "street": world.street_a.code,
    }
    plain = dispatcher.post("/api/v1/demands", body)
    assert plain.status_code == 201 and "desk" not in plain.json()  # gateways: the cheap answer
    response = dispatcher.post("/api/v1/demands?desk=true", body)
    assert response.status_code == 201
    answer = response.json()
    history = answer["desk"]["caller_history"]
    assert {h["tracking_code"] for h in history} == {first.tracking_code, plain.json()["tracking_code"]}
    assert all(h["reporter_phone"] == "139****4321" for h in history)
    assert {"id", "state", "state_label", "received_at"} <= set(history[0])
    dup_ids = {d["id"] for d in answer["desk"]["duplicates"]}
    assert first.pk in dup_ids  # same place, recent
    again = dispatcher.get(f"/api/v1/demands/{answer['id']}/desk")
    assert again.status_code == 200 and again.json()["caller_history"] == history
    merged = dispatcher.post(f"/api/v1/demands/{answer['id']}/triage", {"action": "merge", "into": first.pk})
    assert merged.status_code == 200 and merged.json()["state"] == "merged"
    leader = api_as("street_leader").get(f"/api/v1/demands/{first.pk}/desk")
    assert leader.status_code == 200 and leader.json()["caller_history"] == []
