"""The admin shows model versions with their figures, switches the one in use, and shows acceptance."""

from __future__ import annotations

from django.urls import reverse

from shaobao.routing import registry
from shaobao.routing.classifier import ClassifierConfig, TextClassifier
from shaobao.routing.models import RouterModel
from shaobao.routing.services import propose_for_demand, record_outcome
from tests.factories import UserFactory
from tests.routing.conftest import make_demand


def _superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _version(**kw):
    model = TextClassifier(ClassifierConfig(self_training_rounds=0)).fit(
        ["违建", "拆违", "噪音", "扰民"], ["a", "a", "b", "b"]
    )
    figures = {
        "macro_f1": 0.77,
        "top3_accuracy": 1.0,
        "per_class": {"a": {"precision": 1, "recall": 1, "f1": 1, "support": 2}},
    }
    return registry.save_model(model, source="test", figures=figures, **kw)


def test_versions_list_and_detail_show_figures_and_switching_works(client, db):
    _superuser(client)
    v1, v2 = _version(), _version(activate=False)
    page = client.get(reverse("admin:routing_routermodel_changelist")).content.decode()
    assert "0.77" in page and "v" in page
    detail = client.get(reverse("admin:routing_routermodel_change", args=[v2.pk])).content.decode()
    assert "precision" in detail and "0.77" in detail
    client.post(
        reverse("admin:routing_routermodel_changelist"),
        {"action": "activate", "_selected_action": [v2.pk]},
    )
    assert RouterModel.objects.get(is_active=True).pk == v2.pk
    client.post(
        reverse("admin:routing_routermodel_changelist"),
        {"action": "use_cold_start", "_selected_action": [v1.pk]},
    )
    assert not RouterModel.objects.filter(is_active=True).exists()


def test_proposal_records_page_shows_acceptance_per_matter(client, world, duty_list):
    _superuser(client)
    demand = make_demand(world, subject="楼顶违建", body="私搭乱建")
    record_outcome(
        demand=demand,
        proposal=propose_for_demand(demand),
        chosen_matter="CG-001",
        chosen_units=[],
        actor=None,
    )
    page = client.get(reverse("admin:routing_proposalrecord_changelist")).content.decode()
    assert "CG-001" in page and "违法建设" in page
