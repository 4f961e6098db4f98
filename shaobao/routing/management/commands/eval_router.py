"""Measure the matter classifier: k-fold cross-validation of the configuration, or the model in use."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shaobao.routing import registry
from shaobao.routing.classifier import ClassifierConfig
from shaobao.routing.evaluation import cross_validate, figures, read_csv
from shaobao.routing.training import DEFAULT_CONFIG, resolve_prior, unlabeled_from

KEYS = ("accuracy", "macro_f1", "top3_accuracy")


class Command(BaseCommand):
    help = (
        "评估事项分类 / Evaluate the matter classifier: --folds N cross-validates the training configuration "
        "on the file; without --folds the model in use is scored on the file. Last output line: JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--text", default="subject,body")
        parser.add_argument("--label", default="label")
        parser.add_argument("--folds", type=int, default=0)
        parser.add_argument("--seed", type=int, default=0, help="seed of the fold split (with --folds)")
        parser.add_argument(
            "--unlabeled", action="append", default=[], help="CSV of unlabelled texts; repeatable"
        )
        parser.add_argument("--self-training", type=int, default=None, help="self-training rounds")
        parser.add_argument(
            "--prior",
            choices=("auto", "db", "demo", "none"),
            default="auto",
            help="duty-list keyword prior: the list in force (auto/db), the demo list, or none",
        )
        parser.add_argument("--district", default=None, help="district code for --prior db")
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "eval_router.json"))

    def handle(self, *args, **opts):
        columns = [c.strip() for c in opts["text"].split(",") if c.strip()]
        try:
            texts, labels = read_csv(opts["csv"], text_columns=columns, label_column=opts["label"])
            unlabeled = unlabeled_from(opts["unlabeled"], columns)
            prior = resolve_prior(opts["prior"], opts["district"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if not texts:
            raise CommandError("文件中没有已标注的文本 / no labelled texts in the file")
        if opts["folds"]:
            config = DEFAULT_CONFIG
            if opts["self_training"] is not None:
                config = ClassifierConfig(
                    **{**config.__dict__, "self_training_rounds": opts["self_training"]}
                )
            if len(set(labels)) < 2 or min(labels.count(x) for x in set(labels)) < opts["folds"]:
                raise CommandError(
                    "每个类别的样本数须不少于折数 / every label needs at least --folds examples"
                )
            result = cross_validate(
                config,
                texts,
                labels,
                unlabeled=unlabeled,
                prior=prior,
                folds=opts["folds"],
                seed=opts["seed"],
            )
            title = (
                f"{opts['folds']}-fold cross-validation (seed {opts['seed']}) of {result['method']} "
                f"({result['unlabeled_used']} unlabelled)"
            )
        else:
            row, model = registry.active_model()
            if model is None:
                raise CommandError(
                    "没有启用的模型，请先运行 train_router / no model in use: run train_router first"
                )
            result = figures(labels, model.predict_proba(texts), model.labels)
            result["method"], result["model_version"] = row.method, row.version
            title = f"model in use v{row.version} ({row.method}) on {opts['csv']}"
        self._print(title, result)
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"figures written to {out}")
        last = {k: result[k] for k in KEYS} | {"n": result["n"]}
        if "folds" in result:  # the mean over the folds too (the figures above are pooled over them)
            last |= {f"{k}_fold_mean": result[f"{k}_fold_mean"] for k in KEYS} | {"seed": result["seed"]}
        self.stdout.write(json.dumps(last, ensure_ascii=False))

    def _print(self, title: str, r: dict) -> None:
        w = self.stdout.write
        w(title)
        w(
            f"n={r['n']}  accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  top-3 {r['top3_accuracy']:.4f}"
        )
        if "folds" in r:
            per_fold = " ".join(f"{f['macro_f1']:.3f}" for f in r["folds"])
            w(
                f"mean over the {len(r['folds'])} folds: accuracy {r['accuracy_fold_mean']:.4f}  "
                f"macro-F1 {r['macro_f1_fold_mean']:.4f}  top-3 {r['top3_accuracy_fold_mean']:.4f}  "
                f"(macro-F1 per fold: {per_fold})"
            )
        w("")
        name_width = max([len(c) * 2 for c in r["per_class"]] + [10])
        w(f"{'class'.ljust(name_width)}  precision  recall     f1  support")
        for c, v in r["per_class"].items():
            pad = name_width - _width(c)
            w(f"{c}{' ' * pad}  {v['precision']:9.3f}  {v['recall']:6.3f}  {v['f1']:5.3f}  {v['support']:7d}")
        w("")
        w("confusion matrix (rows: true, columns: predicted, in the order above)")
        for c, row in zip(r["confusion"]["labels"], r["confusion"]["matrix"], strict=True):
            pad = name_width - _width(c)
            w(f"{c}{' ' * pad}  " + " ".join(f"{x:4d}" for x in row))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
