"""Train a matter classifier, store it as the next version and make it the one in use."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from shaobao.routing import registry
from shaobao.routing.classifier import ClassifierConfig
from shaobao.routing.evaluation import cross_validate, read_csv
from shaobao.routing.text import memoised
from shaobao.routing.training import DEFAULT_CONFIG, resolve_prior, texts_from_db, train, unlabeled_from


class Command(BaseCommand):
    help = "训练事项分类模型并启用 / Train the matter classifier, save it as a new version and activate it"

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--csv", help="UTF-8 CSV with text and label columns")
        source.add_argument(
            "--from-db", action="store_true", help="closed demands with their confirmed matter"
        )
        parser.add_argument(
            "--text", default="subject,body", help="text columns, joined (default subject,body)"
        )
        parser.add_argument("--label", default="label", help="label column (default label)")
        parser.add_argument(
            "--unlabeled",
            action="append",
            default=[],
            help="CSV of unlabelled texts (same text columns); repeatable",
        )
        parser.add_argument(
            "--folds", type=int, default=5, help="cross-validate first to store figures (0: skip)"
        )
        parser.add_argument("--self-training", type=int, default=None, help="self-training rounds")
        parser.add_argument(
            "--prior",
            choices=("auto", "db", "demo", "none"),
            default="auto",
            help="duty-list keyword prior: the list in force (auto/db), the demo list, or none",
        )
        parser.add_argument("--district", default=None, help="district code for --prior db")
        parser.add_argument("--no-activate", action="store_true", help="store the version without using it")
        parser.add_argument("--note", default="")

    def handle(self, *args, **opts):
        columns = [c.strip() for c in opts["text"].split(",") if c.strip()]
        try:
            if opts["from_db"]:
                texts, labels = texts_from_db()
                source = "database: closed demands and triage choices"
            else:
                texts, labels = read_csv(opts["csv"], text_columns=columns, label_column=opts["label"])
                source = f"csv: {opts['csv']}"
            unlabeled = unlabeled_from(opts["unlabeled"], columns)
            prior = resolve_prior(opts["prior"], opts["district"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if len(set(labels)) < 2:
            raise CommandError("至少需要两个类别的已标注文本 / need labelled texts of at least two classes")
        config = DEFAULT_CONFIG
        if opts["self_training"] is not None:
            config = ClassifierConfig(**{**config.__dict__, "self_training_rounds": opts["self_training"]})
        bar = _bar(total=opts["folds"] + 6 + config.self_training_rounds, stream=self.stderr._out)
        started = time.perf_counter()
        figures: dict = {}
        smallest = min(labels.count(label) for label in set(labels))
        folds = min(opts["folds"], smallest)
        with memoised():  # each text normalised and cut by jieba once, for the folds and the final model
            if folds >= 2:
                bar.set_description("cross-validation")
                cv = cross_validate(
                    config,
                    texts,
                    labels,
                    unlabeled=unlabeled,
                    prior=prior,  # the figures of the model as it will answer: with its prior
                    folds=folds,
                    on_fold=lambda _k: bar.update(1),
                )
                figures = {k: cv[k] for k in ("accuracy", "macro_f1", "top3_accuracy", "per_class")} | {
                    "folds": folds,
                    "macro_f1_fold_mean": cv["macro_f1_fold_mean"],
                }

            def progress(message: str, n: int = 1) -> None:
                bar.set_description(message)
                bar.update(n)

            model = train(texts, labels, unlabeled=unlabeled, prior=prior, config=config, progress=progress)
        bar.close()
        figures |= model.figures | {"seconds": round(time.perf_counter() - started, 1)}
        row = registry.save_model(
            model, source=source, figures=figures, activate=not opts["no_activate"], note=opts["note"]
        )
        state = "in use / 已启用" if not opts["no_activate"] else "stored, not in use / 已保存未启用"
        self.stdout.write(
            f"router model v{row.version} ({row.method}): {len(texts)} texts, {len(model.labels)} labels, "
            f"{row.size_bytes / 1e6:.1f} MB — {state}"
        )
        if "macro_f1" in figures:
            self.stdout.write(
                f"{folds}-fold CV: accuracy {figures['accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}, "
                f"top-3 {figures['top3_accuracy']:.3f}"
            )


class _NoBar:
    def set_description(self, _text: str) -> None: ...
    def update(self, _n: int = 1) -> None: ...
    def close(self) -> None: ...


def _bar(*, total: int, stream):
    """A tqdm bar on a terminal; nothing when the output is a file or a pipe (logs stay clean)."""
    stream = stream if hasattr(stream, "isatty") else sys.stderr
    if not stream.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, file=stream, unit="step")
