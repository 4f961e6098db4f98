"""The key-task models are in the admin: its lists and forms open for an administrator."""

from __future__ import annotations

import pytest
from django.contrib import admin

from shaobao.keytasks import models

pytestmark = pytest.mark.django_db

REGISTERED = [
    models.Area,
    models.KeyTask,
    models.ProgressReport,
    models.KeyTaskOrder,
    models.Topic,
    models.Referral,
    models.DemandMonthCount,
    models.RolledMonth,
]


def test_the_key_task_models_are_registered():
    for model in REGISTERED:
        assert admin.site.is_registered(model), model


def test_the_admin_lists_open(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x-Secret-123")
    client.force_login(superuser)
    for model in REGISTERED:
        url = f"/admin/keytasks/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
        assert client.get(f"{url}add/").status_code == 200, url
