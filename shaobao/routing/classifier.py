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
import math
import pickle
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC
from sklearn.utils import murmurhash3_32

from shaobao.routing.text import memo, normalise

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
    max_chars: int = 400  # subject + head of the body carry the matter (measured: same F1 as 2,000)
    subject_weight: float = 1.0  # the subject (text before the first "。") again, as its own block
    # Dictionary words: the words jieba finds in the training texts (labelled and unlabelled, 2–4
    # characters, in ≥ 2 texts) counted wherever they occur in a text — jieba's word knowledge without
    # running jieba at prediction (1.6 ms a text: too slow for the batch target). 0 turns the block off.
    dict_weight: float = 1.0
    dict_max_len: int = 4
    dict_min_df: int = 2
    temperature: float = 5.0  # softmax(decision × temperature); measured, see docs/routing.md
    prior_weight: float = 0.25  # share of the duty-list prior in the probabilities, when one is given
    self_training_rounds: int = 1
    self_training_per_class: int = 100  # pseudo-labelled texts added per class, most confident first
    extra: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        parts = [f"char{self.ngram_min}-{self.ngram_max}"]
        if self.dict_weight:
            parts.append(f"words2-{self.dict_max_len}×{self.dict_weight:g}")
        if self.words:
            parts.append("jieba")
        if self.subject_weight:
            parts.append(f"subject×{self.subject_weight:g}")
        parts.append(f"tfidf(all texts)+LinearSVC(C={self.C:g})")
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
        self._dict: CountVectorizer | None = None  # built by `fit` from the training texts' words
        self._tfidf_dict = TfidfTransformer(sublinear_tf=True)
        self._svm: LinearSVC | None = None

    @property
    def method(self) -> str:
        return self.config.method + (f" + duty-list prior×{self.config.prior_weight:g}" if self.prior else "")

    # --- features -------------------------------------------------------------------------------
    def _blocks(self) -> list[tuple[str, float]]:
        """The feature blocks in column order, with their weights."""
        blocks = [("text", 1.0)]
        if self.config.subject_weight:
            blocks.append(("subject", self.config.subject_weight))
        if getattr(self, "_dict", None) is not None:
            blocks.append(("dict", self.config.dict_weight))
        if self._words is not None:
            blocks.append(("words", 1.0))
        return blocks

    def _counts(self, texts: Sequence[str]) -> dict[str, csr_matrix]:
        norm = [normalise(t, limit=self.config.max_chars) for t in texts]
        counts = {}
        for name, _ in self._blocks():
            if name == "text":
                counts[name] = self._char.transform(norm)
            elif name == "subject":
                counts[name] = self._char.transform([_subject(t) for t in norm])
            elif name == "dict":
                counts[name] = self._dict.transform(norm)
            else:
                counts[name] = self._words.transform(norm)
        return counts

    def _tfidf(self, name: str) -> TfidfTransformer:
        return {"dict": self._tfidf_dict, "words": self._tfidf_words}.get(name, self._tfidf_char)

    def _weigh(self, counts: dict[str, csr_matrix]) -> csr_matrix:
        parts = [self._tfidf(name).transform(counts[name]) * w for name, w in self._blocks()]
        return l2_normalize(hstack(parts).tocsr()) if len(parts) > 1 else parts[0]

    def _build_dictionary(self, norm_texts: Sequence[str]) -> None:
        """The words jieba cuts from the training texts, as a fixed vocabulary of character n-grams."""
        c = self.config
        df: Counter = Counter()
        for text in norm_texts:
            words = memo(("jieba", text), lambda text=text: jieba_words(text))
            df.update({w for w in words if 2 <= len(w) <= c.dict_max_len and not _HAS_SPACE.search(w)})
        vocabulary = sorted(w for w, n in df.items() if n >= c.dict_min_df)
        self._dict = (
            CountVectorizer(
                analyzer="char", ngram_range=(2, c.dict_max_len), vocabulary=vocabulary, lowercase=False
            )
            if vocabulary
            else None
        )

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
        keep_reference: bool = False,
    ) -> TextClassifier:
        """Fit on labelled texts; unlabelled ones shape the IDF weights and feed self-training.

        `prior` is a `KeywordClassifier` over the duty list's matters; each matter counts for the label
        equal to its code, else its domain's name, else its domain's code (matters mapping to no label are
        ignored). Without one, the probabilities are the SVM's alone.
        """
        step = progress or (lambda _msg, _n=1: None)
        y = np.asarray(labels)
        self._dict = None
        if self.config.dict_weight:
            self._build_dictionary([normalise(t, limit=self.config.max_chars) for t in [*texts, *unlabeled]])
        step("dictionary words", 1)
        lab = self._counts(texts)
        step("features: labelled texts", 1)
        unl = self._counts(unlabeled) if len(unlabeled) else None
        step("features: unlabelled texts", 1)
        for name in ("text", "dict", "words"):
            if name in lab:
                self._tfidf(name).fit(vstack([lab[name], unl[name]]) if unl else lab[name])
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
        if self._words is None:
            self._compile([normalise(t, limit=self.config.max_chars) for t in [*texts, *unlabeled]])
            if not keep_reference:
                self._svm = None  # the compiled tables carry everything prediction needs
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
        self.prior, self.prior_index, self._prior_map = prior, np.asarray(mapped), None

    # --- prediction -----------------------------------------------------------------------------
    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The SVM's decision values through sklearn (needs the model fitted with `keep_reference`)."""
        return self._decision(self.features(texts))

    def _decision(self, x) -> np.ndarray:
        scores = self._svm.decision_function(x)
        if scores.ndim == 1:  # two classes: sklearn gives one column
            scores = np.column_stack([-scores, scores])
        return scores

    # --- compiled prediction ------------------------------------------------------------------
    # sklearn's vectorizer and SVM spend most of a one-text call on input validation; prediction
    # instead looks each n-gram's hash bucket up in a dict (computed at training time for every n-gram
    # seen), and gathers the SVM weights of the buckets that have any. Same figures, ~20× faster.
    def _compile(self, seen_texts: Sequence[str]) -> None:
        nf = self.config.n_features
        grams: set[str] = set()
        for text in seen_texts:
            grams.update(self._grams(text))
            grams.update(self._grams(_subject(text)))
        buckets = {g: _bucket(g, nf) for g in grams}
        coef, intercept = self._svm.coef_, self._svm.intercept_
        if coef.shape[0] == 1:  # two classes
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        used = np.any(coef[:, :nf] != 0, axis=0)
        if self.config.subject_weight:
            used |= np.any(coef[:, nf : 2 * nf] != 0, axis=0)
        used = np.flatnonzero(used)
        used = np.union1d(used, np.fromiter(buckets.values(), dtype=np.int64))
        self._row_of = np.full(nf, -1, dtype=np.int32)
        self._row_of[used] = np.arange(len(used), dtype=np.int32)
        # n-gram → row of the tables below, for every n-gram seen in training (the common case).
        self._gram_row = {g: int(self._row_of[b]) for g, b in buckets.items()}
        idf = self._tfidf_char.idf_
        self._idf_other = float(idf.max())  # buckets no text ever reached share the largest idf
        # One row per bucket in use: the SVM weights per label, then the idf — one gather per n-gram.
        self._text_table = np.ascontiguousarray(np.column_stack([coef[:, used].T, idf[used]]))
        self._subject_table = (
            np.ascontiguousarray(np.column_stack([coef[:, nf + used].T, idf[used]]))
            if self.config.subject_weight
            else None
        )
        self._intercept = intercept.astype(np.float64)
        self._dict_table = self._dict_rows = self._dict_chars = None
        if self._dict is not None:  # one row per dictionary word: its SVM weights per label, then its idf
            start = nf * (2 if self.config.subject_weight else 1)
            vocabulary = self._dict.vocabulary_
            self._dict_table = np.ascontiguousarray(
                np.column_stack([coef[:, start : start + len(vocabulary)].T, self._tfidf_dict.idf_])
            )
            self._dict_rows = vocabulary  # the same dict as the vectorizer's: pickled once
            # For the batch path: each character of the words gets a small id (0: in no word), so that a
            # word of up to 4 characters is one int64 key.
            chars = sorted({ch for word in vocabulary for ch in word})
            self._dict_chars = np.zeros(ord(chars[-1]) + 1, dtype=np.int64)
            self._dict_chars[[ord(ch) for ch in chars]] = np.arange(1, len(chars) + 1)
            keys = np.asarray([self._dict_key(w) for w in vocabulary], dtype=np.int64)
            rows = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
            order = np.argsort(keys)
            self._dict_keys = (keys[order], rows[order])
        self._w_text = True  # marks a compiled model (see predict_proba)

    def _dict_key(self, word: str) -> int:
        key = 0
        for ch in word:
            key = (key << _DICT_BITS) | int(self._dict_chars[ord(ch)])
        return key

    def _grams(self, text: str) -> list[str]:
        """sklearn's `analyzer="char"` n-grams (whitespace runs collapsed first)."""
        return char_ngrams(_WHITE_SPACES.sub(" ", text), self.config.ngram_min, self.config.ngram_max)

    def _key(self, gram: str) -> int:
        """Row of an n-gram never seen in training; -(bucket+1) when no training text reached its bucket."""
        bucket = _bucket(gram, self.config.n_features)
        row = int(self._row_of[bucket])
        return row if row >= 0 else -(bucket + 1)

    def _block(self, grams: list[str], table: np.ndarray) -> np.ndarray | None:
        """This block's L2-normalised sublinear tf-idf vector times the SVM weights (None if empty)."""
        if not grams:
            return None
        counts = Counter(grams)  # counted in C; then one lookup per distinct n-gram
        keys = list(map(self._gram_row.get, counts))
        if None in keys:
            keys = [k if k is not None else self._key(g) for g, k in zip(counts, keys, strict=True)]
        n = list(counts.values())
        if len(set(keys)) < len(keys):  # two n-grams in one bucket: sklearn adds their counts
            merged: dict[int, int] = {}
            for k, c in zip(keys, n, strict=True):
                merged[k] = merged.get(k, 0) + c
            keys, n = list(merged), list(merged.values())
        keys_a = np.asarray(keys)
        tf = 1.0 + np.log(np.asarray(n, dtype=np.float64))
        seen = keys_a >= 0
        rows = table[keys_a[seen]]
        values = tf[seen] * rows[:, -1]
        unseen = tf[~seen] * self._idf_other
        norm = math.sqrt(float(values @ values) + float(unseen @ unseen))
        return (values / norm) @ rows[:, :-1]

    def _dict_block(self, text: str) -> np.ndarray | None:
        """The dictionary words' block (its L2-normalised tf-idf vector times the SVM weights)."""
        index = self._dict_rows
        text = _WHITE_SPACES.sub(" ", text)
        counts = Counter(index[g] for g in char_ngrams(text, 2, self.config.dict_max_len) if g in index)
        if not counts:
            return None
        rows = self._dict_table[list(counts)]
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * rows[:, -1]
        return (values / math.sqrt(float(values @ values))) @ rows[:, :-1]

    def _fast_decision(self, norm_text: str) -> np.ndarray:
        """Decision values of one text already passed through `normalise`."""
        parts = [(self._block(self._grams(norm_text), self._text_table), 1.0)]
        if self._subject_table is not None:
            subject = self._block(self._grams(_subject(norm_text)), self._subject_table)
            parts.append((subject, self.config.subject_weight))
        if getattr(self, "_dict_table", None) is not None:
            parts.append((self._dict_block(norm_text), self.config.dict_weight))
        parts = [(v, w) for v, w in parts if v is not None]
        scores = self._intercept.copy()
        if parts:
            total = math.sqrt(sum(w * w for _, w in parts))
            for v, w in parts:
                scores += v * (w / total)
        return scores

    # --- batch prediction ---------------------------------------------------------------------
    # Many texts at once, without a Python step per n-gram: the texts' code points go into one numpy
    # array, every 1- and 2-gram becomes an integer key (`ngram_keys`), keys are looked up in the
    # sorted keys of the n-grams seen in training, counted per text with one np.unique, and each block
    # is one sparse × dense product with the compiled table. Same figures as `_fast_decision` (tested).
    def _batch_decision(self, norm: list[str]) -> np.ndarray:
        """Decision values of many texts already passed through `normalise`."""
        blocks = [(norm, self._text_table, 1.0)]
        if self._subject_table is not None:
            blocks.append(([_subject(t) for t in norm], self._subject_table, self.config.subject_weight))
        parts = [(*self._block_many(texts, table), w) for texts, table, w in blocks]
        if getattr(self, "_dict_table", None) is not None:
            parts.append((*self._dict_block_many(norm), self.config.dict_weight))
        weight_sq = sum(nonempty * (w * w) for _, nonempty, w in parts)
        total = np.sqrt(np.where(weight_sq > 0, weight_sq, 1.0))
        scores = np.tile(self._intercept, (len(norm), 1))
        for values, nonempty, w in parts:
            scores += values * (nonempty * (w / total))[:, None]
        return scores

    def _key_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted integer keys of the n-grams seen in training, and their table rows (built once)."""
        index = self.__dict__.get("_keys")
        if index is None:
            grams = list(self._gram_row)
            keys = np.fromiter((gram_key(g) for g in grams), dtype=np.int64, count=len(grams))
            rows = np.fromiter(self._gram_row.values(), dtype=np.int64, count=len(grams))
            order = np.argsort(keys)
            index = self._keys = (keys[order], rows[order])
        return index

    def _block_many(self, texts: list[str], table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`_block` for many texts; also which texts had any n-gram."""
        n = len(texts)
        texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
        doc, keys = ngram_keys(texts, range(self.config.ngram_min, self.config.ngram_max + 1))
        known, known_rows = self._key_index()
        found, at = lookup(known, keys)
        rows = np.where(found, known_rows[at] if len(known) else 0, 0)
        if not found.all():  # n-grams never seen in training: their bucket, computed once per distinct key
            unseen, inverse = np.unique(keys[~found], return_inverse=True)
            rows[~found] = np.fromiter((self._key(key_gram(int(k))) for k in unseen), dtype=np.int64)[inverse]
        # rows ≥ 0: a table row; < 0: -(bucket+1) of a bucket no training text reached (own column each).
        offset = self.config.n_features + 1
        pairs, counts = np.unique(doc * (2 * offset) + (rows + offset), return_counts=True)
        d, r = pairs // (2 * offset), pairs % (2 * offset) - offset
        seen = r >= 0
        values = (1.0 + np.log(counts)) * np.where(seen, table[np.where(seen, r, 0), -1], self._idf_other)
        squares = np.bincount(d, weights=values * values, minlength=n)
        nonempty = squares > 0
        values = values / np.sqrt(np.where(nonempty, squares, 1.0))[d]
        x = csr_matrix((values[seen], (d[seen], r[seen])), shape=(n, len(table)))
        return np.asarray(x @ table[:, :-1]), nonempty

    def _dict_block_many(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`_dict_block` for many texts; also which texts had any dictionary word."""
        n = len(texts)
        texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
        doc, keys = ngram_keys(texts, range(2, self.config.dict_max_len + 1), self._dict_chars, _DICT_BITS)
        known, known_rows = self._dict_keys
        found, at = lookup(known, keys)
        rows = known_rows[at[found]]
        width = len(self._dict_table)
        pairs, counts = np.unique(doc[found] * width + rows, return_counts=True)
        d, r = pairs // width, pairs % width
        values = (1.0 + np.log(counts)) * self._dict_table[r, -1]
        squares = np.bincount(d, weights=values * values, minlength=n)
        nonempty = squares > 0
        values = values / np.sqrt(np.where(nonempty, squares, 1.0))[d]
        x = csr_matrix((values, (d, r)), shape=(n, width))
        return np.asarray(x @ self._dict_table[:, :-1]), nonempty

    def _svm_proba(self, x) -> np.ndarray:
        return _softmax(self._decision(x) * self.temperature)

    def _prior_proba(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.prior is None:
            return None
        return self._prior_from_matters(self.prior.predict_proba(texts))

    def _prior_from_matters(self, matter_p: np.ndarray) -> np.ndarray:
        if getattr(self, "_prior_map", None) is None:  # matters × labels, 1 where the matter counts
            self._prior_map = np.zeros((len(self.prior_index), len(self.labels)))
            for j, i in enumerate(self.prior_index):
                if i >= 0:
                    self._prior_map[j, i] = 1.0
        out = matter_p @ self._prior_map
        mass = out.sum(axis=1, keepdims=True)
        return np.where(mass > 1e-9, out / np.maximum(mass, 1e-12), 1.0 / len(self.labels))

    def _combine(self, svm_p: np.ndarray, prior_p: np.ndarray | None) -> np.ndarray:
        if prior_p is None:
            return svm_p
        w = self.config.prior_weight
        return (1 - w) * svm_p + w * prior_p

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if getattr(self, "_w_text", None) is None:  # jieba words: the sklearn path
            return self._combine(self._svm_proba(self.features(texts)), self._prior_proba(texts))
        if not texts:
            return np.zeros((0, len(self.labels)))
        norm = [normalise(t, limit=self.config.max_chars) for t in texts]
        if len(norm) >= BATCH_MIN and self.config.ngram_max <= 3:
            scores = self._batch_decision(norm)
        else:
            scores = np.vstack([self._fast_decision(t) for t in norm])
        prior = None
        if self.prior is not None:
            if len(norm) >= BATCH_MIN and hasattr(self.prior, "decision_many"):
                matters = self.prior.decision_many(norm)
            else:
                matters = np.vstack([self.prior.decision_normalised(t) for t in norm])
            prior = self._prior_from_matters(_softmax(matters * self.prior.temperature))
        return self._combine(_softmax(scores * self.temperature), prior)

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


_WHITE_SPACES = re.compile(r"\s\s+")
_HAS_SPACE = re.compile(r"\s")
_BITS = 21  # every code point (≤ 0x10FFFF) + 1 fits in 21 bits: up to 3 characters make one int64 key
_DICT_BITS = 15  # dictionary characters get ids < 2^15: a word of up to 4 characters is one int64 key


def ngram_keys(
    texts: Sequence[str], sizes: Iterable[int], char_ids: np.ndarray | None = None, bits: int = _BITS
) -> tuple[np.ndarray, np.ndarray]:
    """(text index, integer key) of every n-gram of the texts, n in `sizes`, without a Python loop per
    n-gram. A key is the n-gram's code points + 1, 21 bits each (n ≤ 3): distinct for distinct n-grams.
    With `char_ids` (code point → id, 0 for characters it does not know), the ids make the key, `bits`
    each, and n-grams with an unknown character are left out."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    if char_ids is not None:
        cps = np.where(cps <= len(char_ids), char_ids[np.minimum(cps, len(char_ids)) - 1], 0)
    doc = np.repeat(np.arange(len(texts)), lens)
    ends = np.cumsum(lens)
    pos_in_doc = np.arange(len(cps)) - np.repeat(ends - lens, lens)
    docs, keys = [], []
    for size in sizes:
        start = np.flatnonzero(pos_in_doc + size <= np.repeat(lens, lens))
        if char_ids is not None:
            known = cps[start] > 0
            for k in range(1, size):
                known &= cps[start + k] > 0
            start = start[known]
        key = cps[start]
        for k in range(1, size):
            key = (key << bits) | cps[start + k]
        docs.append(doc[start])
        keys.append(key)
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(docs), np.concatenate(keys)


def lookup(known: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key: whether it is in the sorted array `known`, and where (searched in sorted order,
    which keeps the binary searches in cache)."""
    if not len(known):
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
    distinct, inverse = np.unique(keys, return_inverse=True)
    at = np.minimum(np.searchsorted(known, distinct), len(known) - 1)
    return (known[at] == distinct)[inverse], at[inverse]


def gram_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = (key << _BITS) | (ord(ch) + 1)
    return key


def key_gram(key: int) -> str:
    chars = []
    while key:
        chars.append(chr((key & ((1 << _BITS) - 1)) - 1))
        key >>= _BITS
    return "".join(reversed(chars))


BATCH_MIN = 8  # from this many texts, `predict_proba` takes the sparse batch path (measured crossover)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams, lo ≤ n ≤ hi, in sklearn's order (all 1-grams, then 2-grams ...)."""
    out: list[str] = []
    for n in range(lo, hi + 1):
        if n == 1:
            out.extend(text)
        elif n == 2:
            out.extend(map(str.__add__, text[:-1], text[1:]))
        else:
            out.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return out


def _subject(normalised_text: str) -> str:
    """The subject: `join_text` puts it first, ended by "。"."""
    return normalised_text.split("。", 1)[0][:80]


def _bucket(gram: str, n_features: int) -> int:
    """The column sklearn's HashingVectorizer gives an n-gram (murmurhash3, seed 0, absolute value)."""
    h = murmurhash3_32(gram, seed=0)
    return (2147483647 - (n_features - 1)) % n_features if h == -2147483648 else abs(h) % n_features


def rank_rows(proba: np.ndarray, labels: Sequence[str], k: int) -> list[list[tuple[str, float]]]:
    k = min(k, len(labels))
    top = np.argsort(-proba, axis=1)[:, :k]
    return [[(labels[j], float(proba[i, j])) for j in row] for i, row in enumerate(top)]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
