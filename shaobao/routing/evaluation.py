"""Measuring a classifier: accuracy, macro-F1, top-3 accuracy, per-class figures, confusion matrix.

Used by `eval_router` (k-fold cross-validation of a configuration, or the model in use on a file) and by
`train_router` (the figures stored with each model version).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from shaobao.routing.classifier import ClassifierConfig, TextClassifier
from shaobao.routing.text import join_text, memoised, normalise


def read_csv(path: str | Path, *, text_columns: Sequence[str], label_column: str | None) -> tuple[list, list]:
    """Texts (the given columns joined) and labels from a UTF-8 CSV; rows without a label are skipped."""
    texts, labels = [], []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in [*text_columns, label_column] if c and c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"列不存在 / missing columns: {', '.join(missing)}")
        for row in reader:
            label = (row.get(label_column) or "").strip() if label_column else ""
            if label_column and not label:
                continue
            parts = [row.get(c) or "" for c in text_columns]
            text = join_text(parts[0], "。".join(p for p in parts[1:] if p)) if len(parts) > 1 else parts[0]
            texts.append(text)
            labels.append(label)
    return texts, labels


def figures(truth: Sequence[str], proba: np.ndarray, labels: Sequence[str]) -> dict:
    """All the figures for predictions `proba` (rows: texts, columns: `labels`) against `truth`."""
    labels = list(labels)
    truth = np.asarray(truth)
    predicted = np.asarray(labels)[proba.argmax(axis=1)]
    top3 = np.argsort(-proba, axis=1)[:, :3]
    index = {label: i for i, label in enumerate(labels)}
    in_top3 = [index.get(t, -1) in row for t, row in zip(truth, top3, strict=True)]
    classes = sorted(set(truth) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    return {
        "n": int(len(truth)),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(
            float(f1_score(truth, predicted, average="macro", labels=classes, zero_division=0)), 4
        ),
        "top3_accuracy": round(float(np.mean(in_top3)) if len(in_top3) else 0.0, 4),
        "per_class": {
            c: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion": {
            "labels": classes,
            "matrix": confusion_matrix(truth, predicted, labels=classes).tolist(),
        },
    }


def cross_validate(
    config: ClassifierConfig,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    unlabeled: Sequence[str] = (),
    prior=None,
    folds: int = 5,
    seed: int = 0,
    on_fold: Callable[[int], None] | None = None,
) -> dict:
    """Stratified k-fold: each fold's model sees the other folds' labels and all unlabelled texts."""
    with memoised():
        return _cross_validate(
            config, texts, labels, unlabeled=unlabeled, prior=prior, folds=folds, seed=seed, on_fold=on_fold
        )


def _cross_validate(config, texts, labels, *, unlabeled, prior, folds, seed, on_fold) -> dict:
    # An unlabelled text that is also a labelled one (the same message in both files) would carry a test
    # text into the training fold, as IDF weight and as a pseudo-label: left out.
    labelled = {normalise(t, limit=config.max_chars) for t in texts}
    unlabeled = [u for u in unlabeled if normalise(u, limit=config.max_chars) not in labelled]
    texts, y = np.asarray(list(texts), dtype=object), np.asarray(labels)
    classes = sorted(set(y))
    proba = np.zeros((len(y), len(classes)))
    per_fold = []
    for k, (train, test) in enumerate(
        StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y)
    ):
        model = TextClassifier(config).fit(list(texts[train]), y[train], unlabeled=unlabeled, prior=prior)
        p = model.predict_proba(list(texts[test]))
        cols = [classes.index(label) for label in model.labels]
        proba[np.ix_(test, cols)] = p
        fold = figures(y[test], p, model.labels)
        per_fold.append({key: fold[key] for key in ("accuracy", "macro_f1", "top3_accuracy")})
        if on_fold:
            on_fold(k)
    result = figures(y, proba, classes)
    result["folds"] = per_fold
    for key in ("accuracy", "macro_f1", "top3_accuracy"):
        result[f"{key}_fold_mean"] = round(float(np.mean([f[key] for f in per_fold])), 4)
    result["method"] = model.method
    result["seed"], result["unlabeled_used"] = seed, len(unlabeled)
    return result
