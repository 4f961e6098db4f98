"""The demo's key-task lists: 7 areas, 45 measures, a couple overdue, last month's topic picked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from shaobao.keytasks.models import Area, KeyTask, Topic
from shaobao.keytasks.selectors import overdue_by_lead_unit

pytestmark = pytest.mark.django_db


def test_demo_loads_key_tasks_and_a_topic():
    call_command("load_demo", stdout=StringIO())
    assert Area.objects.count() == 7
    assert KeyTask.objects.filter(area__isnull=False).count() == 45
    assert sum(overdue_by_lead_unit().values()) >= 2
    assert KeyTask.objects.filter(reports__isnull=False).distinct().count() > 5
    topic = Topic.objects.get()
    assert topic.figures["count"] >= 3 and topic.key_task.participating_units.exists()
