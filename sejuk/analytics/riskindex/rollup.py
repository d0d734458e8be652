"""Roll kelurahan scores up to areas and police units (no Django).

An area's headline score is the **maximum** of its kelurahan scores: a
Kapolsek or Kapolres plans for the most vulnerable kelurahan in the area, and
a mean would let one kelurahan in trouble disappear among quiet ones. The mean,
the number of kelurahan per level and the kelurahan with the maximum are kept
next to it. (Population weights would need population per kelurahan, which
the public data Sejuk ships does not have.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import IndexInputError

__all__ = ["Rollup", "rollup"]


@dataclass(frozen=True)
class Rollup:
    """Aggregates per group; groups with no member have ``count == 0`` and NaN scores.

    Attributes
    ----------
    count : ndarray of int (g,)
    max : ndarray (g,)
        The headline score.
    mean : ndarray (g,)
    argmax : ndarray of int (g,)
        Row index of the kelurahan with the maximum (-1 for empty groups; ties
        go to the lowest row).
    per_level : ndarray of int (g, 3)
        Kelurahan per level (rendah, sedang, tinggi).
    """

    count: np.ndarray
    max: np.ndarray
    mean: np.ndarray
    argmax: np.ndarray
    per_level: np.ndarray


def rollup(
    score: np.ndarray,
    level: np.ndarray,
    member: np.ndarray,
    group: np.ndarray,
    n_groups: int,
) -> Rollup:
    """Aggregate ``score`` over the groups of a membership relation.

    Parameters
    ----------
    score : array (n,)
        Kelurahan scores.
    level : array of int (n,)
        Kelurahan levels (0, 1, 2).
    member, group : arrays of int (m,)
        Pairs (kelurahan row, group index): a kelurahan may belong to several
        groups (its kecamatan, its kota, its Polsek and its Polres) and a
        group has many kelurahan.
    n_groups : int

    Returns
    -------
    Rollup
    """
    score = np.asarray(score, dtype=np.float64).reshape(-1)
    level = np.asarray(level).reshape(-1)
    member = np.asarray(member, dtype=np.int64).reshape(-1)
    group = np.asarray(group, dtype=np.int64).reshape(-1)
    if len(level) != len(score):
        raise IndexInputError("score and level differ in length")
    if len(member) != len(group):
        raise IndexInputError("member and group differ in length")
    if len(member) and (member.min() < 0 or member.max() >= len(score)):
        raise IndexInputError(f"member index outside 0..{len(score) - 1}")
    if len(group) and (group.min() < 0 or group.max() >= n_groups):
        raise IndexInputError(f"group index outside 0..{n_groups - 1}")
    s = score[member]
    count = np.bincount(group, minlength=n_groups)
    total = np.bincount(group, weights=s, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    # Sort by group, then score descending, then row: the first of each group is its maximum.
    order = np.lexsort((member, -s, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    heads = order[first]
    argmax = np.full(n_groups, -1, dtype=np.int64)
    top = np.full(n_groups, np.nan)
    argmax[group[heads]] = member[heads]
    top[group[heads]] = s[heads]
    per_level = np.zeros((n_groups, 3), dtype=np.int64)
    np.add.at(per_level, (group, level[member].astype(np.int64)), 1)
    return Rollup(count=count, max=top, mean=mean, argmax=argmax, per_level=per_level)
