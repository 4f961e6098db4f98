"""Cold start: rank matters from the duty list alone (names, descriptions, keywords), before any history.

Two signals, added: the keywords and the matter name found verbatim in the text (a dispatcher's own
vocabulary: "违建", "私搭乱建"), and the TF-IDF cosine between the text and each matter's description, which
catches texts that use none of the keywords. It has the same interface as `TextClassifier` (`labels`,
`predict_proba`, `rank`, `rank_many`) so the proposal code does not care which one it holds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from shaobao.routing.classifier import (
    _WHITE_SPACES,
    _softmax,
    char_ngrams,
    gram_key,
    lookup,
    ngram_keys,
    rank_rows,
)
from shaobao.routing.text import normalise


@dataclass(frozen=True)
class MatterText:
    code: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    id: int | None = None
    domain_code: str = ""
    domain_name: str = ""


class KeywordClassifier:
    method = "cold start: duty-list keywords, names and descriptions"
    temperature = 8.0
    keyword_weight = 1.0
    name_weight = 1.5

    max_chars = 400

    def __init__(self, matters: Iterable[MatterText]) -> None:
        self.matters = list(matters)
        self.labels = [m.code for m in self.matters]
        docs = [
            normalise(" ".join([m.name] * 3 + list(m.keywords) * 2 + [m.description])) for m in self.matters
        ]
        # A small vocabulary (the duty list's own words): exact and cheap to look up per n-gram.
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, lowercase=False)
        matrix = vectorizer.fit_transform(docs) if any(docs) else None
        self._vocabulary = dict(vectorizer.vocabulary_) if matrix is not None else {}
        self._idf = vectorizer.idf_ if matrix is not None else np.zeros(0)
        self._centroids = (
            np.ascontiguousarray(matrix.T.toarray(), dtype=np.float32)
            if matrix is not None
            else np.zeros((0, len(self.matters)), dtype=np.float32)
        )
        # Every keyword and name, mapped back to the matters using it, scanned longest-first.
        self._term_matters: dict[str, list[tuple[int, float]]] = {}
        for i, m in enumerate(self.matters):
            terms = [(normalise(m.name), self.name_weight)] + [
                (normalise(k), self.keyword_weight) for k in m.keywords
            ]
            for term, weight in terms:
                if len(term) >= 2:
                    self._term_matters.setdefault(term, []).append((i, weight))
        lengths: dict[str, set[int]] = {}
        for term in self._term_matters:
            lengths.setdefault(term[0], set()).add(len(term))
        self._lengths = {first: sorted(ls, reverse=True) for first, ls in lengths.items()}

    def keyword_scores(self, text: str) -> np.ndarray:
        scores = np.zeros(len(self.matters))
        terms, lengths, i, n, seen = self._term_matters, self._lengths, 0, len(text), set()
        while i < n:
            for length in lengths.get(text[i], ()):
                term = text[i : i + length]
                if term in terms:
                    seen.add(term)
                    i += length
                    break
            else:
                i += 1
        for term in seen:
            for j, weight in terms[term]:
                scores[j] += weight * min(1.0, len(term) / 3)  # a 2-character hit says less than a phrase
        return scores

    def _cosine(self, text: str) -> np.ndarray:
        counts = Counter(char_ngrams(text, 2, 3))
        cols = list(map(self._vocabulary.get, counts))
        found = [(c, n) for c, n in zip(cols, counts.values(), strict=True) if c is not None]
        if not found:
            return np.zeros(len(self.matters))
        idx = np.fromiter((c for c, _ in found), dtype=np.int64, count=len(found))
        tf = np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))
        values = (1.0 + np.log(tf)) * self._idf[idx]
        return (values / math.sqrt(float(values @ values))) @ self._centroids[idx]

    def decision_normalised(self, text: str) -> np.ndarray:
        """Scores of one text already passed through `normalise` (the classifier shares its work)."""
        text = _WHITE_SPACES.sub(" ", text[: self.max_chars])
        return self._cosine(text) + self.keyword_scores(text)

    def decision_many(self, texts: Sequence[str]) -> np.ndarray:
        """`decision_normalised` of many normalised texts; the cosine part as one sparse product."""
        texts = [_WHITE_SPACES.sub(" ", t[: self.max_chars]) for t in texts]
        out = (
            np.vstack([self.keyword_scores(t) for t in texts]) if texts else np.zeros((0, len(self.matters)))
        )
        index = self.__dict__.get("_keys")
        if index is None:
            grams = list(self._vocabulary)
            keys = np.fromiter((gram_key(g) for g in grams), dtype=np.int64, count=len(grams))
            cols = np.fromiter(self._vocabulary.values(), dtype=np.int64, count=len(grams))
            order = np.argsort(keys)
            index = self._keys = (keys[order], cols[order])
        known, known_cols = index
        if not len(known) or not texts:
            return out
        doc, keys = ngram_keys(texts, (2, 3))
        found, at = lookup(known, keys)
        width = len(known) + 1
        pairs, counts = np.unique(doc[found] * width + known_cols[at[found]], return_counts=True)
        d, c = pairs // width, pairs % width
        values = (1.0 + np.log(counts)) * self._idf[c]
        squares = np.bincount(d, weights=values * values, minlength=len(texts))
        values = values / np.sqrt(np.where(squares > 0, squares, 1.0))[d]
        x = csr_matrix((values, (d, c)), shape=(len(texts), len(self._idf)))
        return out + np.asarray(x @ self._centroids)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        if not self.matters:
            return np.zeros((len(texts), 0))
        out = np.zeros((len(texts), len(self.matters)))
        for k, t in enumerate(texts):
            out[k] = self.decision_normalised(normalise(t, limit=self.max_chars))
        return out

    def predict_proba(self, texts: Sequence[str], *, temperature: float | None = None) -> np.ndarray:
        return _softmax(self.decision(texts) * (temperature or self.temperature))

    def rank(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        return rank_rows(self.predict_proba([text]), self.labels, k)[0]

    def rank_many(self, texts: Iterable[str], k: int = 5) -> list[list[tuple[str, float]]]:
        return rank_rows(self.predict_proba(list(texts)), self.labels, k)
