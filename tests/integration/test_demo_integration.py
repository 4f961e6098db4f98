"""The demo's integration data: mapping table, SMS templates, an inactive subscription, work orders."""

from __future__ import annotations

import pytest

from shaobao.demo.integration import load_integration
from shaobao.hotline.models import CategoryMapping, HotlineOrder
from shaobao.sms.models import SmsTemplate
from shaobao.webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_load_integration_is_repeatable(world):
    note = load_integration(world.district)
    assert CategoryMapping.objects.get(category="违法建设").matter_code == world.matter.code
    assert SmsTemplate.objects.filter(language="en").count() == 3
    assert not WebhookSubscription.objects.get().is_active
    assert HotlineOrder.objects.count() == 12 and "12 work orders" in note
    load_integration(world.district)
    assert HotlineOrder.objects.count() == 12 and CategoryMapping.objects.count() == 6
