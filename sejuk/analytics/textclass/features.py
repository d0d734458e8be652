"""TF-IDF features over word and character n-grams of the two token views.

Written out rather than taken from scikit-learn's ``TfidfVectorizer`` for two
reasons: the model directory then holds only plain data (JSON term lists and
numpy arrays, loaded without pickle), and the character n-grams of each word
are computed once and memoised, which triples classification throughput on
tweets (the same few thousand words recur in every batch).

Four blocks of features, each L2-normalised on its own (as an ``hstack`` of four
vectorisers would be): surface words, surface characters, normalised words,
normalised characters. Words are 1..n-grams of tokens; characters are n-grams
of each token padded with one space on either side (``char_wb``).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

Doc = tuple[list[str], list[str]]  # (surface tokens, normalised tokens)

BLOCKS: tuple[str, ...] = ("surface_word", "surface_char", "norm_word", "norm_char")
_CACHE_LIMIT = 100_000  # words per view; bounds a long-running worker's memory


class NgramFeaturizer:
    """Sublinear TF-IDF over four n-gram blocks.

    Parameters
    ----------
    word_ngrams : (int, int)
        Smallest and largest word n-gram.
    char_ngrams : (int, int)
        Smallest and largest character n-gram (within a padded word).
    min_df : int
        Keep n-grams seen in at least this many training documents.

    Attributes
    ----------
    terms_ : list of list of str
        Kept n-grams per block, sorted (so a seed gives the same model).
    offsets_ : ndarray of shape (5,)
        Column where each block starts; the last entry is the feature count.
    idf_ : ndarray of shape (n_features,)
    """

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 2,
    ):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df

    # -- n-gram generation ---------------------------------------------------------------

    def _word_grams(self, tokens: list[str]) -> list[str]:
        low, high = self.word_ngrams
        grams: list[str] = list(tokens) if low <= 1 else []
        for n in range(max(2, low), high + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_grams(self, token: str) -> list[str]:
        padded = f" {token} "
        low, high = self.char_ngrams
        size = len(padded)
        grams: list[str] = []
        for n in range(low, high + 1):
            if n > size:
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
        return grams

    # -- fitting -------------------------------------------------------------------------

    def fit(self, docs: Sequence[Doc]) -> NgramFeaturizer:
        """Learn the vocabulary and IDF of ``docs``."""
        self._fit_vocabulary(docs)
        return self

    def fit_transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return self.fit(docs).transform(docs)

    def _fit_vocabulary(self, docs: Sequence[Doc]) -> None:
        if self.min_df < 1:
            raise ValueError("min_df must be at least 1")
        df: list[Counter[str]] = [Counter() for _ in BLOCKS]
        char_cache: dict[str, list[str]] = {}
        for surface, norm in docs:
            for block, tokens in ((0, surface), (2, norm)):
                df[block].update(set(self._word_grams(tokens)))
                grams: set[str] = set()
                for token in set(tokens):
                    cached = char_cache.get(token)
                    if cached is None:
                        cached = char_cache[token] = self._char_grams(token)
                    grams.update(cached)
                df[block + 1].update(grams)
        n_docs = len(docs)
        self.terms_ = [sorted(t for t, c in counts.items() if c >= self.min_df) for counts in df]
        sizes = [len(t) for t in self.terms_]
        self.offsets_ = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        idf = [
            np.array([math.log((1 + n_docs) / (1 + counts[t])) + 1.0 for t in terms])
            for counts, terms in zip(df, self.terms_, strict=True)
        ]
        self.idf_ = np.concatenate(idf).astype(np.float64) if idf else np.zeros(0)
        self._index()

    # -- state ---------------------------------------------------------------------------

    def _index(self) -> None:
        self._vocab = [
            {term: int(offset) + i for i, term in enumerate(terms)}
            for terms, offset in zip(self.terms_, self.offsets_[:-1], strict=True)
        ]
        self._char_ids: list[dict[str, list[int]]] = [{}, {}]

    @property
    def n_features_(self) -> int:
        return int(self.offsets_[-1])

    def get_params(self) -> dict[str, object]:
        return {
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
        }

    def state(self) -> tuple[dict[str, object], dict[str, np.ndarray]]:
        """JSON-able part (parameters, terms) and array part (IDF, offsets)."""
        return (
            {"params": self.get_params(), "terms": self.terms_},
            {"idf": self.idf_.astype(np.float32), "offsets": self.offsets_},
        )

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> NgramFeaturizer:
        params = meta["params"]
        self = cls(
            word_ngrams=tuple(params["word_ngrams"]),
            char_ngrams=tuple(params["char_ngrams"]),
            min_df=int(params["min_df"]),
        )
        self.terms_ = [list(t) for t in meta["terms"]]
        self.offsets_ = np.asarray(arrays["offsets"], dtype=np.int64)
        self.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        if len(self.terms_) != len(BLOCKS) or self.offsets_.shape != (len(BLOCKS) + 1,):
            raise ValueError("featurizer state has the wrong number of blocks")
        sizes = np.diff(self.offsets_)
        if list(sizes) != [len(t) for t in self.terms_] or self.idf_.shape != (self.n_features_,):
            raise ValueError("featurizer terms, offsets and IDF do not agree")
        self._index()
        return self

    # -- transform -----------------------------------------------------------------------

    def _char_feature_ids(self, which: int, token: str) -> list[int]:
        cache = self._char_ids[which]
        ids = cache.get(token)
        if ids is None:
            vocab = self._vocab[1 + 2 * which]
            ids = [i for g in self._char_grams(token) if (i := vocab.get(g)) is not None]
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache[token] = ids
        return ids

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """TF-IDF matrix of shape ``(len(docs), n_features_)``."""
        cols = array("q")  # converts to numpy without a copy per element
        lengths = np.zeros(len(docs), dtype=np.int64)
        views = (
            (0, self._vocab[0], self._char_ids[0]),
            (1, self._vocab[2], self._char_ids[1]),
        )
        bigrams = self.word_ngrams == (1, 2)
        for row, doc in enumerate(docs):
            start = len(cols)
            for which, vocab, cache in views:
                tokens = doc[which]
                if bigrams:
                    # The common case, inlined: this loop is most of the classify time.
                    get = vocab.get
                    cols.extend(i for g in tokens if (i := get(g)) is not None)
                    cols.extend(
                        i
                        for a, b in zip(tokens, tokens[1:], strict=False)
                        if (i := get(f"{a} {b}")) is not None
                    )
                else:
                    cols.extend(
                        i for g in self._word_grams(tokens) if (i := vocab.get(g)) is not None
                    )
                for token in tokens:
                    ids = cache.get(token)
                    if ids is None:
                        ids = self._char_feature_ids(which, token)
                    cols.extend(ids)
            lengths[row] = len(cols) - start
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        matrix = sp.csr_matrix(
            (np.ones(len(cols)), (rows, np.frombuffer(cols, dtype=np.int64))),
            shape=(len(docs), self.n_features_),
        )
        matrix.sum_duplicates()
        data, indices = matrix.data, matrix.indices
        np.log(data, out=data)
        data += 1.0
        data *= self.idf_[indices]
        # L2 per (row, block), as four separately normalised vectorisers would give.
        block = np.searchsorted(self.offsets_, indices, side="right") - 1
        row_of = np.repeat(np.arange(len(docs)), np.diff(matrix.indptr))
        key = row_of * len(BLOCKS) + block
        norms = np.sqrt(np.bincount(key, weights=data * data, minlength=len(docs) * len(BLOCKS)))
        data /= norms[key]
        return matrix
