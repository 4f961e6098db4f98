"""Training data and training runs shared by `train_router`, `eval_router` and the admin."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shaobao.routing.classifier import ClassifierConfig, TextClassifier
from shaobao.routing.evaluation import read_csv
from shaobao.routing.text import join_text

# The configuration chosen by measurement on labeled_train.csv (docs/routing.md, "What we tried").
DEFAULT_CONFIG = ClassifierConfig()


def texts_from_db() -> tuple[list[str], list[str]]:
    """Closed demands with the matter people confirmed, and dispatchers' choices recorded at triage.

    Labels are matter codes; a demand counts once (its latest recorded choice wins over its matter).
    """
    from shaobao.intake.models import Demand, DemandState
    from shaobao.routing.models import ProposalRecord

    by_demand: dict[int, tuple[str, str]] = {}
    closed = (
        Demand.objects.filter(state__in=(DemandState.CLOSED, DemandState.CALLED_BACK), matter__isnull=False)
        .values_list("id", "subject", "body", "matter__code")
        .iterator(chunk_size=2000)
    )
    for pk, subject, body, code in closed:
        by_demand[pk] = (join_text(subject, body), code)
    records = (
        ProposalRecord.objects.filter(chosen_matter__isnull=False)
        .order_by("created_at")
        .values_list("demand_id", "text", "chosen_matter__code")
    )
    for demand_id, text, code in records.iterator(chunk_size=2000):
        if text:
            by_demand[demand_id] = (text, code)
    texts = [t for t, _ in by_demand.values()]
    labels = [c for _, c in by_demand.values()]
    return texts, labels


def unlabeled_from(paths: Sequence[str | Path], text_columns: Sequence[str]) -> list[str]:
    texts: list[str] = []
    for path in paths:
        texts += read_csv(path, text_columns=text_columns, label_column=None)[0]
    return texts


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    unlabeled: Sequence[str] = (),
    config: ClassifierConfig | None = None,
    progress=None,
) -> TextClassifier:
    if len(set(labels)) < 2:
        raise ValueError("至少需要两个类别 / need at least two labels to train")
    return TextClassifier(config or DEFAULT_CONFIG).fit(texts, labels, unlabeled=unlabeled, progress=progress)
