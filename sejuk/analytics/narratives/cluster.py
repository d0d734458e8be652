"""Narratives: clusters of similar posts over a sliding time window.

An online "leader" clustering that keeps each narrative's identity as posts
join it:

1. A post becomes a bag of topic terms (words and bigrams, see
   :func:`..text.terms`) weighted ``1 + log(tf)`` (bigrams x1.5), l2-normalised.
2. It is compared (cosine) with the centroid of every narrative that is
   *active* at the post's time: whose last post is at most ``window`` older.
   Terms are IDF-weighted at comparison time, with document frequencies
   counted over the batch's posts and the active centroids (plus
   ``BACKGROUND`` empty pseudo-documents), so words that are everywhere this
   week (``pilkada``, ``tps``) glue little together.
3. The best narrative at or above ``threshold`` takes the post and moves its
   centroid (running mean, truncated to ``max_terms`` terms); otherwise the
   post starts a new narrative.

A narrative therefore never changes key; it goes dormant when nobody has
posted in it for ``window``. Posts must arrive roughly in time order
(each batch is sorted); within a batch, narratives that existed before it are
compared by their state at the start of the batch.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .text import normalize, terms

__all__ = ["NarrativeClusterer", "NarrativeState", "PostText", "post_vector", "top_terms"]

BIGRAM_WEIGHT = 1.5
BACKGROUND = 50


@dataclass(frozen=True)
class PostText:
    """A post as the clusterer sees it: text and time (timezone-aware)."""

    text: str
    time: dt.datetime

    def __post_init__(self) -> None:
        if not isinstance(self.time, dt.datetime) or self.time.tzinfo is None:
            raise ValueError("PostText.time must be a timezone-aware datetime")


@dataclass
class NarrativeState:
    """A narrative's running state: what the database stores between batches.

    ``key`` is the caller's identifier (a primary key), None for a narrative
    created by the last call until the caller gives it one.
    """

    key: Hashable | None
    centroid: dict[str, float]
    n: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    new: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("a narrative has at least one post")
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")


def post_vector(text: str) -> dict[str, float]:
    """The l2-normalised term weights of one post."""
    counts = Counter(terms(normalize(text)))
    vec = {t: (1.0 + math.log(c)) * (BIGRAM_WEIGHT if " " in t else 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def top_terms(
    centroid: dict[str, float], k: int = 4, surface: dict[str, str] | None = None
) -> list[str]:
    """The ``k`` heaviest terms, bigrams first absorbing the words they contain.

    With ``surface`` (see :func:`..text.surface_forms`), stems are shown as
    the words people wrote."""
    chosen: list[str] = []
    covered: set[str] = set()
    for term, _w in sorted(centroid.items(), key=lambda kv: (-kv[1], kv[0])):
        parts = term.split()
        if len(parts) == 1 and term in covered:
            continue
        if len(parts) == 2 and any(c == term for c in chosen):
            continue
        chosen.append(term)
        covered.update(parts)
        if len(chosen) >= k:
            break
    if surface:
        chosen = [" ".join(surface.get(p, p) for p in t.split()) for t in chosen]
    return chosen


class NarrativeClusterer:
    """Online clustering of posts into narratives.

    Parameters
    ----------
    threshold : float, default 0.15
        Cosine similarity (IDF-weighted) from which a post joins a narrative.
    window : datetime.timedelta, default 72 hours
        A narrative whose last post is older than this (at the new post's
        time) takes no more posts.
    max_terms : int, default 150
        Terms kept in a centroid (the heaviest ones).

    Attributes
    ----------
    narratives_ : list of NarrativeState
        Every narrative known after the last call, old and new.
    labels_ : numpy.ndarray of int
        For each post of the last call, the index in ``narratives_`` of the
        narrative it joined, or -1 for a post with no topic terms.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.15,
        window: dt.timedelta = dt.timedelta(hours=72),
        max_terms: int = 150,
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.max_terms = max_terms

    def _check(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.window <= dt.timedelta(0):
            raise ValueError("window must be positive")
        if self.max_terms < 5:
            raise ValueError("max_terms must be at least 5")

    def fit(self, posts: Sequence[PostText]) -> NarrativeClusterer:
        """Cluster ``posts`` from scratch. Returns self."""
        self.narratives_ = []
        return self.partial_fit(posts)

    def partial_fit(
        self, posts: Sequence[PostText], narratives: Sequence[NarrativeState] | None = None
    ) -> NarrativeClusterer:
        """Add ``posts`` to the known narratives (``narratives`` if given,
        else those of the previous call). Returns self."""
        self._check()
        if narratives is not None:
            self.narratives_ = list(narratives)
        elif not hasattr(self, "narratives_"):
            self.narratives_ = []
        for state in self.narratives_:
            state.new = False
        labels = np.full(len(posts), -1, dtype=np.int64)
        if not posts:
            self.labels_ = labels
            return self
        vectors = [post_vector(p.text) for p in posts]
        order = sorted(range(len(posts)), key=lambda i: posts[i].time)
        earliest = posts[order[0]].time
        # Only narratives that can still take a post of this batch take part.
        existing = [
            j for j, s in enumerate(self.narratives_) if s.last_seen >= earliest - self.window
        ]
        idf = self._idf(vectors, [self.narratives_[j].centroid for j in existing])
        sims = self._similarities(vectors, [self.narratives_[j].centroid for j in existing], idf)
        created: list[int] = []
        for i in order:
            vec = vectors[i]
            if not vec:
                continue
            when = posts[i].time
            best, best_sim = -1, self.threshold - 1e-9
            for col, j in enumerate(existing):
                s = self.narratives_[j]
                if when - s.last_seen > self.window or sims[i, col] <= best_sim:
                    continue
                best, best_sim = j, float(sims[i, col])
            for j in created:
                s = self.narratives_[j]
                if when - s.last_seen > self.window:
                    continue
                sim = _cosine(vec, s.centroid, idf)
                if sim > best_sim:
                    best, best_sim = j, sim
            if best < 0:
                self.narratives_.append(NarrativeState(None, dict(vec), 1, when, when, new=True))
                best = len(self.narratives_) - 1
                created.append(best)
            else:
                self._join(self.narratives_[best], vec, when)
            labels[i] = best
        self.labels_ = labels
        return self

    def _join(self, state: NarrativeState, vec: dict[str, float], when: dt.datetime) -> None:
        n = state.n
        merged = {t: w * n / (n + 1) for t, w in state.centroid.items()}
        for t, w in vec.items():
            merged[t] = merged.get(t, 0.0) + w / (n + 1)
        if len(merged) > self.max_terms:
            keep = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_terms]
            merged = dict(keep)
        state.centroid = {t: round(w, 6) for t, w in merged.items()}
        state.n = n + 1
        state.last_seen = max(state.last_seen, when)
        state.first_seen = min(state.first_seen, when)

    @staticmethod
    def _idf(
        vectors: list[dict[str, float]], centroids: list[dict[str, float]]
    ) -> dict[str, float]:
        df: Counter[str] = Counter()
        for v in vectors:
            df.update(v.keys())
        for c in centroids:
            df.update(c.keys())
        # BACKGROUND pseudo-documents that contain none of the terms: without
        # them, a story that fills most of a small batch would see its own
        # words discounted as "everywhere".
        n = len(vectors) + len(centroids) + BACKGROUND
        return {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}

    @staticmethod
    def _similarities(
        vectors: list[dict[str, float]], centroids: list[dict[str, float]], idf: dict[str, float]
    ) -> np.ndarray:
        if not centroids:
            return np.zeros((len(vectors), 0), dtype=np.float32)
        vocab = {t: k for k, t in enumerate(idf)}
        weights = np.fromiter((idf[t] for t in vocab), dtype=np.float32, count=len(vocab))

        def matrix(rows: list[dict[str, float]]) -> sparse.csr_matrix:
            indptr, indices, data = [0], [], []
            for r in rows:
                for t, w in r.items():
                    k = vocab.get(t)
                    if k is not None:
                        indices.append(k)
                        data.append(w * weights[k])
                indptr.append(len(indices))
            m = sparse.csr_matrix(
                (np.asarray(data, dtype=np.float32), indices, indptr),
                shape=(len(rows), len(vocab)),
            )
            norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            return sparse.diags(1.0 / norms) @ m

        return (matrix(vectors) @ matrix(centroids).T).toarray()


def _cosine(a: dict[str, float], b: dict[str, float], idf: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b[t] * idf.get(t, 1.0) ** 2 for t, w in a.items() if t in b)
    if not dot:
        return 0.0
    na = math.sqrt(sum((w * idf.get(t, 1.0)) ** 2 for t, w in a.items()))
    nb = math.sqrt(sum((w * idf.get(t, 1.0)) ** 2 for t, w in b.items()))
    return dot / (na * nb) if na and nb else 0.0
