"""Decisions have no preset answer, and the irreversible ones (callback, verification, arbitration,
下评上 rating) are sent only with the confirmation box ticked — checked on the server, so the no-JS
path cannot submit one by accident either."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shaobao.evaluation.models import UnitRating
from shaobao.whistles import actions as wf
from tests.intake.flow import demand_in, fed_back, lead_of

pytestmark = pytest.mark.django_db


def _checked_inputs(html: str, form_action: str) -> list[str]:
    form = html[html.index(f'action="{form_action}"') :]
    form = form[: form.index("</form>")]
    return re.findall(r"<input[^>]*\bchecked\b[^>]*>", form) + re.findall(
        r"<option[^>]*selected[^>]*>\d", form
    )


def test_callback_form_has_no_preset_answer_and_needs_confirmation(login, world):
    demand = demand_in(world, "closed")
    client = login("dispatcher")
    url = reverse("intake:callback", args=[demand.pk])
    html = client.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert _checked_inputs(html, url) == []
    assert 'name="confirm"' in html
    answer = client.post(url, {"solved": "1", "satisfaction": "satisfied"})
    assert answer.status_code == 400
    demand.refresh_from_db()
    assert demand.state == "closed"
    answer = client.post(url, {"confirm": "on"})  # nothing chosen
    assert answer.status_code == 400
    client.post(url, {"solved": "1", "satisfaction": "satisfied", "confirm": "on"})
    demand.refresh_from_db()
    assert demand.state == "called_back"


def test_self_handling_verification_needs_a_choice_and_confirmation(login, world):
    demand = demand_in(world, "handled")
    client = login("dispatcher")
    url = reverse("intake:verify_self_handling", args=[demand.pk])
    html = client.get(reverse("intake:demand_detail", args=[demand.pk])).content.decode()
    assert _checked_inputs(html, url) == []
    assert client.post(url, {"passed": "1"}).status_code == 400
    demand.refresh_from_db()
    assert demand.state == "handled"


def test_whistle_verification_needs_confirmation(login, world):
    whistle = fed_back(world)
    client = login("dispatcher")
    url = reverse("whistles:verify", args=[whistle.pk])
    html = client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert _checked_inputs(html, url) == []
    assert client.post(url, {"passed": "1"}).status_code == 400
    whistle.refresh_from_db()
    assert whistle.state == "fed_back"


def test_arbitration_has_no_preset_decision_and_needs_confirmation(login, world, whistle):
    lead = lead_of(whistle)
    wf.do_dispute(actor=world.users["lead_handler"], summons_id=lead.pk, reason="不是我们的")
    client = login("coordinator")
    url = reverse("whistles:arbitrate", args=[lead.pk])
    html = client.get(reverse("whistles:whistle_detail", args=[whistle.pk])).content.decode()
    assert _checked_inputs(html, url) == []
    assert client.post(url, {"decision": "reject"}).status_code == 400
    lead.refresh_from_db()
    assert lead.state == "disputed"


def test_rating_has_no_preset_score_and_needs_confirmation(login, world):
    whistle = fed_back(world)
    wf.do_verify(actor=world.users["dispatcher"], whistle_id=whistle.pk, passed=True)
    client = login("dispatcher")
    url = reverse("evaluation:rate", args=[whistle.pk])
    html = client.get(url).content.decode()
    assert re.findall(r'<option value="\d" selected', html) == []
    data = {"unit": world.lead_unit.id, "cooperation": 5, "initiative": 4, "quality": 5}
    client.post(url, data)
    assert not UnitRating.objects.exists()
    client.post(url, {**data, "confirm": "on"})
    assert UnitRating.objects.count() == 1
