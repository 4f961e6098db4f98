"""The matter classifier: Chinese text → ranked labels with probabilities.

Method (chosen by measurement, see docs/routing.md): character n-grams (and optionally jieba words),
hashed so the model carries no vocabulary (small, fast to load, same memory whatever the corpus), TF-IDF
weights fitted on every text available — labelled and unlabelled — and a linear SVM. Optional
self-training adds unlabelled texts the model is confident about as pseudo-labelled examples. Decision
values become probabilities through a softmax whose temperature is fitted by cross-validation, so "0.8"
means roughly "right four times out of five".

The object pickles to bytes (`to_bytes` / `from_bytes`) and is stored in `RouterModel.blob`.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC

from shaobao.routing.text import normalise

Progress = Callable[[str, int], None]  # (step description, steps done) — drives a tqdm bar


def jieba_words(text: str) -> list[str]:
    """Module-level so that a pickled model can find it again."""
    import jieba

    jieba.setLogLevel(60)
    return [w for w in jieba.lcut(text) if w.strip()]


@dataclass
class ClassifierConfig:
    ngram_min: int = 1
    ngram_max: int = 3
    n_features: int = 2**19
    words: bool = False
    C: float = 0.5
    class_weight: str | None = "balanced"
    self_training_rounds: int = 0
    self_training_margin: float = 0.5
    self_training_max_share: float = 3.0  # at most this many pseudo-labelled per labelled example
    extra: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        parts = [f"char{self.ngram_min}-{self.ngram_max}"]
        if self.words:
            parts.append("jieba")
        parts.append("tfidf(all texts)+LinearSVC")
        if self.self_training_rounds:
            parts.append(f"self-training×{self.self_training_rounds}(margin>{self.self_training_margin})")
        return " ".join(parts)


class TextClassifier:
    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.labels: list[str] = []
        self.temperature = 1.0
        self.figures: dict = {}
        c = self.config
        self._char = HashingVectorizer(
            analyzer="char",
            ngram_range=(c.ngram_min, c.ngram_max),
            n_features=c.n_features,
            alternate_sign=False,
            norm=None,
            lowercase=False,
        )
        self._words = (
            HashingVectorizer(
                tokenizer=jieba_words,
                token_pattern=None,
                lowercase=False,
                ngram_range=(1, 1),
                n_features=2**18,
                alternate_sign=False,
                norm=None,
            )
            if c.words
            else None
        )
        self._tfidf_char = TfidfTransformer(sublinear_tf=True)
        self._tfidf_words = TfidfTransformer(sublinear_tf=True) if c.words else None
        self._svm: LinearSVC | None = None

    @property
    def method(self) -> str:
        return self.config.method

    # --- features -------------------------------------------------------------------------------
    def _counts(self, texts: Sequence[str]) -> tuple[csr_matrix, csr_matrix | None]:
        norm = [normalise(t) for t in texts]
        words = self._words.transform(norm) if self._words is not None else None
        return self._char.transform(norm), words

    def _weigh(self, counts: tuple[csr_matrix, csr_matrix | None]) -> csr_matrix:
        chars, words = counts
        x = self._tfidf_char.transform(chars)
        if words is not None:
            x = hstack([x, self._tfidf_words.transform(words)]).tocsr()
            x = l2_normalize(x)
        return x

    def features(self, texts: Sequence[str]) -> csr_matrix:
        return self._weigh(self._counts(texts))

    # --- training -------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        unlabeled: Sequence[str] = (),
        progress: Progress | None = None,
        calibrate: bool = True,
    ) -> TextClassifier:
        """Fit on labelled texts; unlabelled ones shape the IDF weights and feed self-training."""
        step = progress or (lambda _msg, _n=1: None)
        y = np.asarray(labels)
        lab_counts = self._counts(texts)
        step("features: labelled texts", 1)
        unl_counts = self._counts(unlabeled) if len(unlabeled) else None
        step("features: unlabelled texts", 1)
        self._tfidf_char.fit(vstack([lab_counts[0], unl_counts[0]]) if unl_counts else lab_counts[0])
        if self._tfidf_words is not None:
            self._tfidf_words.fit(vstack([lab_counts[1], unl_counts[1]]) if unl_counts else lab_counts[1])
        x = self._weigh(lab_counts)
        xu = self._weigh(unl_counts) if unl_counts else None
        step("tf-idf weights", 1)
        self._svm = self._new_svm().fit(x, y)
        self.labels = [str(label) for label in self._svm.classes_]
        step("linear SVM", 1)
        pseudo = 0
        for _ in range(self.config.self_training_rounds):
            if xu is None:
                break
            x_all, y_all, pseudo = self._with_pseudo_labels(x, y, xu)
            self._svm = self._new_svm().fit(x_all, y_all)
            step("self-training round", 1)
        if calibrate:
            self.temperature = self._fit_temperature(x, y, xu)
        step("probability calibration", 1)
        self.figures = {"samples": int(len(y)), "unlabeled": int(len(unlabeled)), "pseudo_labeled": pseudo}
        return self

    def _new_svm(self) -> LinearSVC:
        return LinearSVC(C=self.config.C, class_weight=self.config.class_weight)

    def _with_pseudo_labels(self, x, y, xu):
        scores = self._svm.decision_function(xu)
        ordered = np.sort(scores, axis=1)
        margin = ordered[:, -1] - ordered[:, -2]
        keep = np.flatnonzero(margin > self.config.self_training_margin)
        cap = int(self.config.self_training_max_share * len(y))
        keep = keep[np.argsort(-margin[keep])][:cap]
        guessed = self._svm.classes_[scores[keep].argmax(axis=1)]
        return vstack([x, xu[keep]]).tocsr(), np.concatenate([y, guessed]), int(len(keep))

    def _fit_temperature(self, x, y, xu) -> float:
        """Softmax temperature minimising the held-out log-loss (3-fold) of the same SVM."""
        counts = np.unique(y, return_counts=True)[1]
        folds = min(3, int(counts.min()))
        if folds < 2 or len(self.labels) < 2:
            return 5.0
        held_out, truth = [], []
        index = {label: i for i, label in enumerate(self.labels)}
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
            svm = self._new_svm().fit(x[train], y[train])
            scores = svm.decision_function(x[test])
            full = np.full((len(test), len(self.labels)), -10.0)
            for j, label in enumerate(svm.classes_):
                full[:, index[str(label)]] = scores[:, j] if scores.ndim > 1 else (scores if j else -scores)
            held_out.append(full)
            truth.extend(index[str(label)] for label in y[test])
        scores, truth = np.vstack(held_out), np.asarray(truth)
        best, best_loss = 1.0, np.inf
        for t in np.geomspace(0.5, 50, 40):
            p = _softmax(scores * t)
            loss = -np.mean(np.log(p[np.arange(len(truth)), truth] + 1e-12))
            if loss < best_loss:
                best, best_loss = float(t), loss
        return best

    # --- prediction -----------------------------------------------------------------------------
    def decision(self, texts: Sequence[str]) -> np.ndarray:
        scores = self._svm.decision_function(self.features(texts))
        if scores.ndim == 1:  # two classes: sklearn gives one column
            scores = np.column_stack([-scores, scores])
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self.decision(texts) * self.temperature)

    def rank(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely labels for one text, best first."""
        return rank_rows(self.predict_proba([text]), self.labels, k)[0]

    def rank_many(self, texts: Iterable[str], k: int = 5) -> list[list[tuple[str, float]]]:
        return rank_rows(self.predict_proba(list(texts)), self.labels, k)

    # --- storage --------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> TextClassifier:
        model = pickle.loads(bytes(data))  # only ever our own rows: RouterModel.blob, written by train_router
        if not hasattr(model, "rank"):
            raise TypeError("not a routing classifier")
        return model


def rank_rows(proba: np.ndarray, labels: Sequence[str], k: int) -> list[list[tuple[str, float]]]:
    k = min(k, len(labels))
    top = np.argsort(-proba, axis=1)[:, :k]
    return [[(labels[j], float(proba[i, j])) for j in row] for i, row in enumerate(top)]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
