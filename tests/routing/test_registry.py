"""Model versions: stored with figures, one in use, switched atomically, the process cache follows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from shaobao.routing import registry
from shaobao.routing.classifier import ClassifierConfig, TextClassifier
from shaobao.routing.models import RouterModel
from shaobao.routing.services import propose

FAST = ClassifierConfig(self_training_rounds=0)


def _model(labels_and_texts):
    texts, labels = zip(*labels_and_texts, strict=True)
    return TextClassifier(FAST).fit(list(texts), list(labels))


@pytest.fixture
def two_versions(db):
    v1 = registry.save_model(
        _model(
            [("私搭乱建", "CG-001"), ("楼顶违建", "CG-001"), ("噪音扰民", "HJ-001"), ("施工噪声", "HJ-001")]
        ),
        source="test",
        figures={"macro_f1": 0.5, "samples": 4},
    )
    v2 = registry.save_model(
        _model(
            [("私搭乱建", "HJ-001"), ("楼顶违建", "HJ-001"), ("噪音扰民", "CG-001"), ("施工噪声", "CG-001")]
        ),
        source="test",
        figures={"macro_f1": 0.9, "samples": 4},
        activate=False,
    )
    return v1, v2


def test_saved_versions_are_numbered_and_carry_their_figures(two_versions):
    v1, v2 = two_versions
    assert (v1.version, v2.version) == (1, 2)
    assert v1.is_active and not RouterModel.objects.get(pk=v2.pk).is_active
    assert v2.figures["macro_f1"] == 0.9 and v2.size_bytes > 0 and len(v2.sha256) == 64
    assert v1.labels == ["CG-001", "HJ-001"]


def test_switch_is_noticed_by_the_loaded_model_cache(two_versions):
    v1, v2 = two_versions
    row, model = registry.active_model()
    assert row.pk == v1.pk and model.rank("私搭乱建")[0][0] == "CG-001"
    registry.activate_version(v2.pk)  # as another process (train_router, the admin) would
    row, model = registry.active_model()
    assert row.pk == v2.pk and model.rank("私搭乱建")[0][0] == "HJ-001"
    assert RouterModel.objects.filter(is_active=True).count() == 1
    registry.activate_version(None)
    assert registry.active_model() == (None, None)


def test_the_database_refuses_two_models_in_use(two_versions):
    _, v2 = two_versions
    with pytest.raises(IntegrityError), transaction.atomic():
        RouterModel.objects.filter(pk=v2.pk).update(is_active=True)


def test_activating_a_missing_version_changes_nothing(two_versions):
    v1, _ = two_versions
    with pytest.raises(RouterModel.DoesNotExist):
        registry.activate_version(999_999)
    assert RouterModel.objects.get(is_active=True).pk == v1.pk


def test_model_on_matter_codes_drives_the_proposal(world, duty_list, two_versions):
    _, v2 = two_versions
    assert (
        propose(body="楼顶违建", district=world.district).matter.code == "CG-001"
    )  # v1 agrees with keywords
    registry.activate_version(v2.pk)
    proposal = propose(body="楼顶违建", district=world.district)
    assert proposal.model_version == 2
    assert proposal.matter.code == "HJ-001"  # the model outweighs the keyword cold start


def test_model_on_domains_ranks_matters_within_the_domain(world, duty_list):
    texts = [
        ("楼顶违建", "城乡建设"),
        ("路边摆摊", "城乡建设"),
        ("工地噪音", "环境保护"),
        ("排放废气", "环境保护"),
    ]
    registry.save_model(_model(texts), source="test", figures={})
    proposal = propose(body="有人路边摆摊卖菜", district=world.district)
    assert proposal.matter.code == "CG-002"
    assert "domains" in proposal.method


def test_with_a_model_any_readable_text_is_ranked_and_an_empty_one_is_not(world, duty_list, two_versions):
    """The model reads text the duty list has no word for; a text with nothing readable (empty, only
    emoji) still gets no matter rather than the model's intercepts."""
    proposal = propose(body="私搭乱建!!", district=world.district)
    assert proposal.model_version == 1 and proposal.matter.code == "CG-001"
    unknown = propose(body="完全没见过的字：龘靐齉", district=world.district)
    assert unknown.model_version == 1 and len(unknown.matters) == len(duty_list.matters.all())
    assert abs(sum(m.probability for m in unknown.matters) - 1.0) < 1e-3
    for text in ("", "🏠🚗😡", "\u200b \ufe0f", "？？？!!"):
        empty = propose(subject=text, body=text, district=world.district)
        assert empty.matters == [] and empty.lead_unit is None and empty.model_version == 1
