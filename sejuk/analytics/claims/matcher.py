"""Nearest archived claims of a text: TF-IDF word and character n-grams, cosine.

A post is short and informal (``"katanya TPS 011 dipindah, cek dulu!!"``), an
archived claim is often a whole article. Two representations are combined:

* word uni- and bigrams catch shared names and phrases;
* character 3-5-grams inside word boundaries (``char_wb``) survive slang,
  typos and affixes (``dipindahkan`` / ``pindah``).

Both are TF-IDF weighted with sublinear term frequency and l2-normalised; the
score of a pair is ``char_weight * cos_char + (1 - char_weight) * cos_word``,
in [0, 1]. With ``passage_words`` set, every claim is also cut into
overlapping passages of that many words and a claim's score is the best of its
passages, so a one-sentence post can meet the one paragraph of a long article
that it repeats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .archive import Claim

__all__ = ["ClaimMatch", "ClaimMatcher", "preprocess"]

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")


def preprocess(text: str) -> str:
    """Lower-case, drop URLs and @mentions, collapse whitespace."""
    text = _URL.sub(" ", text or "")
    text = _MENTION.sub(" ", text)
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class ClaimMatch:
    """One archived claim near a query: its position in the fitted archive."""

    index: int
    claim: Claim
    score: float


def _passages(text: str, size: int, stride: int) -> list[str]:
    words = text.split()
    if len(words) <= size:
        return [text]
    out = []
    for start in range(0, len(words), stride):
        chunk = words[start : start + size]
        out.append(" ".join(chunk))
        if start + size >= len(words):
            break
    return out


class ClaimMatcher:
    """Find the archived claims closest to a text.

    Parameters
    ----------
    char_weight : float, default 0.5
        Weight of the character n-gram cosine (the word cosine gets the rest).
    word_ngram_range : tuple of int, default (1, 2)
    char_ngram_range : tuple of int, default (3, 5)
    passage_words : int or None, default None
        Cut claims into overlapping passages of this many words (stride half
        of it) and score a claim by its best passage. None matches whole texts.
    max_features : int or None, default 200_000
        Vocabulary cap per representation (the most frequent n-grams).

    Attributes
    ----------
    claims_ : list of Claim
        The archive the matcher was fitted on.
    n_passages_ : int
        Rows of the index (claims, or passages of claims).
    """

    def __init__(
        self,
        *,
        char_weight: float = 0.5,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (3, 5),
        passage_words: int | None = None,
        max_features: int | None = 200_000,
    ) -> None:
        self.char_weight = char_weight
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.passage_words = passage_words
        self.max_features = max_features

    def _check_params(self) -> None:
        if not 0.0 <= self.char_weight <= 1.0:
            raise ValueError(f"char_weight must be in [0, 1], got {self.char_weight}")
        if self.passage_words is not None and self.passage_words < 5:
            raise ValueError(f"passage_words must be None or at least 5, got {self.passage_words}")

    def fit(self, claims: Sequence[Claim]) -> ClaimMatcher:
        """Index ``claims``. Returns self."""
        self._check_params()
        claims = list(claims)
        if not claims:
            raise ValueError("cannot fit on an empty archive")
        docs: list[str] = []
        owner: list[int] = []
        for i, claim in enumerate(claims):
            text = preprocess(claim.text)
            parts = (
                _passages(text, self.passage_words, max(1, self.passage_words // 2))
                if self.passage_words
                else [text]
            )
            docs.extend(parts)
            owner.extend([i] * len(parts))
        self.word_vectorizer_ = TfidfVectorizer(
            analyzer="word",
            ngram_range=self.word_ngram_range,
            sublinear_tf=True,
            max_features=self.max_features,
            token_pattern=r"(?u)\b\w\w+\b",  # noqa: S106 - a regex, not a password
            dtype=np.float32,
        )
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float32,
        )
        word = self.word_vectorizer_.fit_transform(docs)
        char = self.char_vectorizer_.fit_transform(docs)
        self.matrix_ = self._combine(word, char)
        self.owner_ = np.asarray(owner, dtype=np.int64)
        self.claims_ = claims
        self.n_passages_ = len(docs)
        return self

    def _combine(self, word: sparse.spmatrix, char: sparse.spmatrix) -> sparse.csr_matrix:
        # Each block is l2-normalised by the vectorizer, so the dot product of
        # two stacked rows is the weighted sum of the two cosines.
        w = np.float32(np.sqrt(1.0 - self.char_weight))
        c = np.float32(np.sqrt(self.char_weight))
        return sparse.hstack([word * w, char * c], format="csr")

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The stacked TF-IDF rows of ``texts`` in the fitted vocabulary."""
        if not hasattr(self, "matrix_"):
            raise RuntimeError("ClaimMatcher is not fitted; call fit(claims) first")
        docs = [preprocess(t) for t in texts]
        return self._combine(
            self.word_vectorizer_.transform(docs), self.char_vectorizer_.transform(docs)
        )

    def kneighbors(self, texts: Sequence[str], k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Scores and claim indices of the ``k`` closest claims of each text.

        Returns two arrays of shape ``(len(texts), k)``, best first; where
        fewer than ``k`` claims share any n-gram with a text, the rest of its
        row is score 0.0 and index -1.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        query = self.transform(texts)
        sims = (query @ self.matrix_.T).tocsr()
        n = query.shape[0]
        scores = np.zeros((n, k), dtype=np.float64)
        indices = np.full((n, k), -1, dtype=np.int64)
        for row in range(n):
            lo, hi = sims.indptr[row], sims.indptr[row + 1]
            if lo == hi:
                continue
            vals = sims.data[lo:hi]
            owners = self.owner_[sims.indices[lo:hi]]
            order = np.argsort(-vals, kind="stable")
            # The first occurrence of each claim in score order is its best passage.
            uniq, first = np.unique(owners[order], return_index=True)
            best = vals[order][first]
            top = np.argsort(-best, kind="stable")[:k]
            scores[row, : len(top)] = np.clip(best[top], 0.0, 1.0)
            indices[row, : len(top)] = uniq[top]
        return scores, indices

    def match(
        self, texts: Sequence[str], k: int = 3, min_score: float = 0.0
    ) -> list[list[ClaimMatch]]:
        """The closest claims of each text with their scores, best first."""
        scores, indices = self.kneighbors(texts, k)
        out: list[list[ClaimMatch]] = []
        for srow, irow in zip(scores, indices, strict=True):
            out.append(
                [
                    ClaimMatch(int(i), self.claims_[int(i)], round(float(s), 4))
                    for s, i in zip(srow, irow, strict=True)
                    if i >= 0 and s >= min_score and s > 0.0
                ]
            )
        return out
