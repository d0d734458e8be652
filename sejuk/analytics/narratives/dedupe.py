"""Near-duplicate posts: MinHash signatures with locality-sensitive hashing.

A post's word 3-shingles (of its normalised text) get a MinHash signature of
``bands * rows`` 32-bit minima under independent universal hash functions.
Two posts whose shingle sets have Jaccard similarity J agree on one minimum
with probability J, and on a whole band of ``rows`` minima with probability
J**rows. A band is stored as one integer key; posts that share any key are
*candidates*, and candidates are confirmed when the exact Jaccard similarity
of their shingle sets reaches ``threshold``.

With the defaults (16 bands of 4 rows, threshold 0.7) a pair with J = 0.7 is
a candidate with probability 1 - (1 - 0.7**4)**16 = 0.988 and a pair with
J = 0.3 with probability 0.12 (then rejected by the exact check). Keys are
plain integers, so a database index on them finds the candidates of a new
post among millions without scanning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MinHasher", "group_near_duplicates", "jaccard"]

# Universal hashing modulo the Mersenne prime 2**31 - 1: with 31-bit a and
# 32-bit x, a * x + b stays below 2**64, so uint64 arithmetic never overflows.
_P = (1 << 31) - 1
_PRIME = np.uint64(_P)


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _base_hash(shingle: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(shingle.encode("utf-8"), digest_size=4).digest(), "little"
    )


@dataclass(frozen=True)
class MinHasher:
    """MinHash signatures and LSH band keys.

    Parameters
    ----------
    bands, rows : int
        ``bands * rows`` hash functions; ``rows`` minima form one band key.
    threshold : float
        Exact Jaccard similarity from which two posts are near-duplicates.
    seed : int
        Seed of the hash functions. Keys are only comparable between hashers
        with the same ``bands``, ``rows`` and ``seed``: changing them means
        recomputing stored keys.
    """

    bands: int = 16
    rows: int = 4
    threshold: float = 0.7
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ValueError("bands and rows must be positive")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        rng = np.random.default_rng(self.seed)
        n = self.bands * self.rows
        object.__setattr__(self, "_a", rng.integers(1, _P, n, dtype=np.uint64))
        object.__setattr__(self, "_b", rng.integers(0, _P, n, dtype=np.uint64))

    def signature(self, shingle_set: Iterable[str]) -> np.ndarray:
        """The ``bands * rows`` minima of a shingle set (all ones for an empty set)."""
        base = np.fromiter((_base_hash(s) for s in shingle_set), dtype=np.uint64)
        n = self.bands * self.rows
        if base.size == 0:
            return np.full(n, _P, dtype=np.uint64)
        a = self._a[:, None]  # type: ignore[attr-defined]
        b = self._b[:, None]  # type: ignore[attr-defined]
        return ((a * base[None, :] + b) % _PRIME).min(axis=1)

    def band_keys(self, signature: np.ndarray) -> list[int]:
        """One signed 63-bit integer per band (fits a database BIGINT)."""
        keys = []
        sig = signature.reshape(self.bands, self.rows)
        for band, values in enumerate(sig):
            digest = hashlib.blake2b(
                band.to_bytes(2, "little") + values.astype("<u4").tobytes(), digest_size=8
            ).digest()
            keys.append(int.from_bytes(digest, "little") >> 1)
        return keys

    def keys(self, shingle_set: set[str]) -> list[int]:
        return self.band_keys(self.signature(shingle_set))


def group_near_duplicates(
    shingle_sets: Sequence[set[str]], hasher: MinHasher | None = None
) -> list[int]:
    """For each set, the index of the first earlier set it near-duplicates, or -1."""
    hasher = hasher or MinHasher()
    seen: dict[int, list[int]] = {}
    out = []
    for i, s in enumerate(shingle_sets):
        found = -1
        keys = hasher.keys(s)
        for key in keys:
            for j in seen.get(key, ()):
                if jaccard(s, shingle_sets[j]) >= hasher.threshold:
                    found = j if out[j] < 0 else out[j]
                    break
            if found >= 0:
                break
        out.append(found)
        if found < 0:
            for key in keys:
                seen.setdefault(key, []).append(i)
    return out
