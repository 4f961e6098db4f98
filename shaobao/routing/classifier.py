"""The matter classifier: Chinese text → ranked labels with probabilities.

Method (chosen by measurement, see docs/routing.md): character 1–2-grams of the text plus the subject
again as its own block, hashed so the model carries no vocabulary (small, fast to load, same memory
whatever the corpus), TF-IDF weights fitted on every text available — labelled and unlabelled — and a
linear SVM. Decision values become probabilities through a softmax (fixed, measured temperature), mixed
with a *prior*: the duty list's keyword classifier (`cold_start.KeywordClassifier`) mapped onto the
labels (matter codes, or domains). One round of self-training then adds, per class, the unlabelled texts
this combined teacher is most sure of, and the SVM is fitted again.

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
    ngram_max: int = 2
    n_features: int = 2**19
    words: bool = False
    C: float = 1.0
    class_weight: str | None = "balanced"
    subject_weight: float = 1.0  # the subject (text before the first "。") again, as its own block
    temperature: float = 5.0  # softmax(decision × temperature); measured, see docs/routing.md
    prior_weight: float = 0.25  # share of the duty-list prior in the probabilities, when one is given
    self_training_rounds: int = 1
    self_training_per_class: int = 100  # pseudo-labelled texts added per class, most confident first
    extra: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        parts = [f"char{self.ngram_min}-{self.ngram_max}"]
        if self.words:
            parts.append("jieba")
        if self.subject_weight:
            parts.append(f"subject×{self.subject_weight:g}")
        parts.append("tfidf(all texts)+LinearSVC")
        if self.self_training_rounds:
            parts.append(f"self-training×{self.self_training_rounds}({self.self_training_per_class}/class)")
        return " ".join(parts)


class TextClassifier:
    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.labels: list[str] = []
        self.temperature = self.config.temperature
        self.figures: dict = {}
        self.prior = None  # a KeywordClassifier, and for each of its matters the label index (or -1)
        self.prior_index: np.ndarray | None = None
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
        return self.config.method + (f" + duty-list prior×{self.config.prior_weight:g}" if self.prior else "")

    # --- features -------------------------------------------------------------------------------
    def _counts(self, texts: Sequence[str]) -> list[csr_matrix]:
        norm = [normalise(t) for t in texts]
        blocks = [self._char.transform(norm)]
        if self.config.subject_weight:
            blocks.append(self._char.transform([t.split("。", 1)[0][:80] for t in norm]))
        if self._words is not None:
            blocks.append(self._words.transform(norm))
        return blocks

    def _weigh(self, counts: list[csr_matrix]) -> csr_matrix:
        parts = [self._tfidf_char.transform(counts[0])]
        k = 1
        if self.config.subject_weight:
            parts.append(self._tfidf_char.transform(counts[k]) * self.config.subject_weight)
            k += 1
        if self._tfidf_words is not None:
            parts.append(self._tfidf_words.transform(counts[k]))
        return l2_normalize(hstack(parts).tocsr()) if len(parts) > 1 else parts[0]

    def features(self, texts: Sequence[str]) -> csr_matrix:
        return self._weigh(self._counts(texts))

    # --- training -------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        unlabeled: Sequence[str] = (),
        prior=None,
        progress: Progress | None = None,
    ) -> TextClassifier:
        """Fit on labelled texts; unlabelled ones shape the IDF weights and feed self-training.

        `prior` is a `KeywordClassifier` over the duty list's matters; each matter counts for the label
        equal to its code, else its domain's name, else its domain's code (matters mapping to no label are
        ignored). Without one, the probabilities are the SVM's alone.
        """
        step = progress or (lambda _msg, _n=1: None)
        y = np.asarray(labels)
        lab = self._counts(texts)
        step("features: labelled texts", 1)
        unl = self._counts(unlabeled) if len(unlabeled) else None
        step("features: unlabelled texts", 1)
        self._tfidf_char.fit(vstack([lab[0], unl[0]]) if unl else lab[0])
        if self._tfidf_words is not None:
            self._tfidf_words.fit(vstack([lab[-1], unl[-1]]) if unl else lab[-1])
        x = self._weigh(lab)
        xu = self._weigh(unl) if unl else None
        step("tf-idf weights", 1)
        self._svm = self._new_svm().fit(x, y)
        self.labels = [str(label) for label in self._svm.classes_]
        self._set_prior(prior)
        step("linear SVM", 1)
        pseudo = 0
        for _ in range(self.config.self_training_rounds):
            if xu is None or xu.shape[0] == 0:
                break
            teacher = self._combine(self._svm_proba(xu), self._prior_proba(unlabeled))
            x_all, y_all, pseudo = self._with_pseudo_labels(x, y, xu, teacher)
            self._svm = self._new_svm().fit(x_all, y_all)
            step("self-training round", 1)
        step("done", 1)
        self.figures = {"samples": int(len(y)), "unlabeled": int(len(unlabeled)), "pseudo_labeled": pseudo}
        return self

    def _new_svm(self) -> LinearSVC:
        return LinearSVC(C=self.config.C, class_weight=self.config.class_weight)

    def _with_pseudo_labels(self, x, y, xu, teacher: np.ndarray):
        guessed, confidence = teacher.argmax(axis=1), teacher.max(axis=1)
        keep = []
        for k in range(len(self.labels)):  # the same number per class: the teacher's bias is not amplified
            members = np.flatnonzero(guessed == k)
            keep.extend(members[np.argsort(-confidence[members])][: self.config.self_training_per_class])
        keep = np.asarray(keep, dtype=int)
        pseudo_labels = np.asarray(self.labels)[guessed[keep]]
        return vstack([x, xu[keep]]).tocsr(), np.concatenate([y, pseudo_labels]), int(len(keep))

    def _set_prior(self, prior) -> None:
        if prior is None or not getattr(prior, "matters", None):
            self.prior, self.prior_index = None, None
            return
        index = {label: i for i, label in enumerate(self.labels)}
        mapped = [
            index.get(m.code, index.get(m.domain_name, index.get(m.domain_code, -1))) for m in prior.matters
        ]
        if all(i < 0 for i in mapped):
            self.prior, self.prior_index = None, None
            return
        self.prior, self.prior_index = prior, np.asarray(mapped)

    # --- prediction -----------------------------------------------------------------------------
    def decision(self, texts: Sequence[str]) -> np.ndarray:
        return self._decision(self.features(texts))

    def _decision(self, x) -> np.ndarray:
        scores = self._svm.decision_function(x)
        if scores.ndim == 1:  # two classes: sklearn gives one column
            scores = np.column_stack([-scores, scores])
        return scores

    def _svm_proba(self, x) -> np.ndarray:
        return _softmax(self._decision(x) * self.temperature)

    def _prior_proba(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.prior is None:
            return None
        matter_p = self.prior.predict_proba(texts)
        out = np.zeros((len(texts), len(self.labels)))
        for j, i in enumerate(self.prior_index):
            if i >= 0:
                out[:, i] += matter_p[:, j]
        mass = out.sum(axis=1, keepdims=True)
        return np.where(mass > 1e-9, out / np.maximum(mass, 1e-12), 1.0 / len(self.labels))

    def _combine(self, svm_p: np.ndarray, prior_p: np.ndarray | None) -> np.ndarray:
        if prior_p is None:
            return svm_p
        w = self.config.prior_weight
        return (1 - w) * svm_p + w * prior_p

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        return self._combine(self._svm_proba(self.features(texts)), self._prior_proba(texts))

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
