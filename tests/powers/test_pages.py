"""The pages: who sees and does what, the form's refusal of a power without legal basis, the triage reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.powers import actions
from shaobao.powers.models import DelegatedPower, StationedStaff, StreetNote
from tests.intake.flow import blow, lead_of, new_demand
from tests.powers.conftest import power_data

pytestmark = pytest.mark.django_db


def _form(world, **kw):
    data = power_data(world, **kw)
    data["effective_date"] = str(data["effective_date"])
    return data


def test_list_filters_and_scoping(world, login, power):
    actions.do_create_power(
        actor=world.users["coordinator"], district=world.district,
        **power_data(world, code="JC-0001", name="对燃气安全的行政检查", category="inspection", streets=[world.street_b.code], matters=[]),
    )  # fmt: skip
    client = login("coordinator")
    url = reverse("powers:power_list")
    html = client.get(url).content.decode()
    assert "CF-0001" in html and "JC-0001" in html
    html = client.get(url, {"category": "inspection"}).content.decode()
    assert "JC-0001" in html and "CF-0001" not in html
    html = client.get(url, {"street": world.street_a.code}).content.decode()
    assert "CF-0001" in html and "JC-0001" not in html
    html = client.get(url, {"q": "燃气"}).content.decode()
    assert "JC-0001" in html and "CF-0001" not in html
    actions.do_withdraw_power(actor=world.users["coordinator"], power_id=power.pk, reason="收回")
    html = client.get(url, {"status": "withdrawn"}).content.decode()
    assert "CF-0001" in html and "JC-0001" not in html
    # street A sees only what it received; street B not A's power
    html = login("dispatcher").get(url).content.decode()
    assert "CF-0001" in html and "JC-0001" not in html
    assert login("dispatcher_b").get(reverse("powers:power_detail", args=[power.pk])).status_code == 404


def test_residents_and_nobody_get_403(world, login, power):
    for role in ("resident", "nobody"):
        assert login(role).get(reverse("powers:power_list")).status_code == 403
        assert login(role).get(reverse("powers:street_powers")).status_code == 403


def test_form_refuses_a_power_without_legal_basis(world, login, team_a):
    client = login("coordinator")
    response = client.post(reverse("powers:power_new"), _form(world, legal_basis=""))
    assert response.status_code == 400
    assert not DelegatedPower.objects.exists()
    response = client.post(reverse("powers:power_new"), _form(world))
    assert response.status_code == 302
    power = DelegatedPower.objects.get()
    response = client.post(
        reverse("powers:power_edit", args=[power.pk]), _form(world, name="对违法建设的处罚")
    )
    assert response.status_code == 302
    power.refresh_from_db()
    assert power.version == 2
    html = client.get(reverse("powers:power_detail", args=[power.pk])).content.decode()
    assert "v2" in html and "v1" in html


def test_street_cannot_open_the_form_or_withdraw(world, login, power):
    client = login("street_leader")
    assert client.get(reverse("powers:power_new")).status_code == 403
    response = client.post(
        reverse("powers:power_withdraw", args=[power.pk]), {"reason": "x", "confirm": "on"}
    )
    assert response.status_code == 403
    power.refresh_from_db()
    assert power.status == "in_force"


def test_withdraw_needs_confirmation(world, login, power):
    client = login("coordinator")
    url = reverse("powers:power_withdraw", args=[power.pk])
    assert client.post(url, {"reason": "收回"}).status_code == 400
    power.refresh_from_db()
    assert power.status == "in_force"
    assert client.post(url, {"reason": "收回", "confirm": "on"}).status_code == 302
    power.refresh_from_db()
    assert power.status == "withdrawn"


def test_triage_page_proposes_self_handling_and_says_why(world, login, power, team_a):
    demand = new_demand(world, subject="小区里私搭乱建", body="楼顶加盖")
    html = login("dispatcher").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert 'id="self-handling-reason"' in html
    assert "CF-0001" in html and "对违法建设的行政处罚" in html and "2019-07-01" in html
    assert f'<option value="{team_a.code}" selected>' in html
    actions.do_withdraw_power(actor=world.users["coordinator"], power_id=power.pk, reason="收回")
    from django.core.cache import cache

    cache.clear()
    html = login("dispatcher").get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert 'id="self-handling-reason"' not in html


def test_street_files_a_note_the_unit_answers_on_the_pages(world, login, team_a):
    summons = lead_of(blow(world))
    client = login("street_leader")
    response = client.post(
        reverse("powers:note_file"), {"summons": summons.pk, "kind": "urge", "text": "请加快"}
    )
    assert response.status_code == 302
    note = StreetNote.objects.get()
    # the dispatcher is not offered "urge" and cannot post it
    response = login("dispatcher").post(
        reverse("powers:note_file"), {"summons": summons.pk, "kind": "urge", "text": "x"}
    )
    assert response.status_code == 400 and StreetNote.objects.count() == 1
    client = login("lead_handler")
    html = client.get(reverse("powers:street_powers")).content.decode()
    assert "请加快" in html
    url = reverse("powers:note_answer", args=[note.pk])
    assert client.post(url, {"answer": "已安排"}).status_code == 400  # not confirmed
    assert client.post(url, {"answer": "已安排", "confirm": "on"}).status_code == 302
    assert client.post(url, {"answer": "再答", "confirm": "on"}).status_code == 409


def test_recommendation_on_the_pages(world, login):
    import datetime as dt

    staff = StationedStaff.objects.create(
        street=world.street_a,
        department=world.lead_unit,
        name="王派驻",
        position="执法队员",
        since=dt.date(2021, 1, 1),
    )
    client = login("street_leader")
    html = client.get(reverse("powers:street_powers")).content.decode()
    assert "王派驻" in html
    response = client.post(
        reverse("powers:recommendation_file"), {"staff": staff.pk, "kind": "removal", "reason": "推诿"}
    )
    assert response.status_code == 302
    rec = staff.recommendations.get()
    assert (
        login("dispatcher_b").get(reverse("powers:recommendation_detail", args=[rec.pk])).status_code == 404
    )
    client = login("lead_leader")
    url = reverse("powers:recommendation_answer", args=[rec.pk])
    assert client.post(url, {"accepted": "0", "answer": "不同意"}).status_code == 400  # not confirmed
    assert client.post(url, {"accepted": "0", "answer": "不同意", "confirm": "on"}).status_code == 302
    assert client.post(url, {"accepted": "1", "answer": "改", "confirm": "on"}).status_code == 409
    rec.refresh_from_db()
    assert rec.state == "declined"
