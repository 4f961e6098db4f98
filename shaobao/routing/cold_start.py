"""Cold start: rank matters from the duty list alone (names, descriptions, keywords), before any history.

Two signals, added: the keywords and the matter name found verbatim in the text (a dispatcher's own
vocabulary: "违建", "私搭乱建"), and the TF-IDF cosine between the text and each matter's description, which
catches texts that use none of the keywords. It has the same interface as `TextClassifier` (`labels`,
`predict_proba`, `rank`, `rank_many`) so the proposal code does not care which one it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize as l2_normalize

from shaobao.routing.classifier import _softmax, rank_rows
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

    def __init__(self, matters: Iterable[MatterText]) -> None:
        self.matters = list(matters)
        self.labels = [m.code for m in self.matters]
        self._vectorizer = HashingVectorizer(
            analyzer="char",
            ngram_range=(2, 3),
            n_features=2**18,
            alternate_sign=False,
            norm=None,
            lowercase=False,
        )
        docs = [
            normalise(" ".join([m.name] * 3 + list(m.keywords) * 2 + [m.description])) for m in self.matters
        ]
        counts = self._vectorizer.transform(docs or [""])
        self._tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        self._centroids = self._tfidf.transform(counts).T.tocsc() if self.matters else None
        # One alternation of every keyword and name, longest first, mapped back to the matters using it.
        self._term_matters: dict[str, list[tuple[int, float]]] = {}
        for i, m in enumerate(self.matters):
            for term, weight in [(normalise(m.name), self.name_weight)] + [
                (normalise(k), self.keyword_weight) for k in m.keywords
            ]:
                if len(term) >= 2:
                    self._term_matters.setdefault(term, []).append((i, weight))
        terms = sorted(self._term_matters, key=len, reverse=True)
        self._terms = re.compile("|".join(map(re.escape, terms))) if terms else None

    def keyword_scores(self, text: str) -> np.ndarray:
        scores = np.zeros(len(self.matters))
        if self._terms is None:
            return scores
        for term in set(self._terms.findall(text)):
            for i, weight in self._term_matters[term]:
                scores[i] += weight * min(1.0, len(term) / 3)  # a 2-character hit says less than a phrase
        return scores

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        norm = [normalise(t) for t in texts]
        if not self.matters:
            return np.zeros((len(norm), 0))
        x = l2_normalize(self._tfidf.transform(self._vectorizer.transform(norm)))
        cosine = np.asarray((x @ self._centroids).todense())
        keywords = np.vstack([self.keyword_scores(t) for t in norm])
        return cosine + keywords

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self.decision(texts) * self.temperature)

    def rank(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        return rank_rows(self.predict_proba([text]), self.labels, k)[0]

    def rank_many(self, texts: Iterable[str], k: int = 5) -> list[list[tuple[str, float]]]:
        return rank_rows(self.predict_proba(list(texts)), self.labels, k)
