"""A restricted dynamic programme that builds one good route at a time.

Labels are partial routes ``(last point, service start, score, visited set)``,
extended one point per layer, all at once with numpy. At each point only labels
that no other label dominates are kept (higher or equal score, no later start,
the same visited set among the point's ``ng`` nearest neighbours: the ng-route
relaxation, which keeps most of the pruning of the exact rule while remembering
the visits that matter nearby), and at most ``width`` of them by score. Every
label can still get back in time, so the best label of any layer is a complete
route. It is a heuristic: the width and the relaxed dominance can drop the
optimal prefix. Its routes are exact in float64 (same arithmetic as the checker)
and make good, structurally different starting points for PyVRP.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from .model import Problem

__all__ = ["dp_routes"]


def _route(
    problem: Problem,
    matrix: NDArray[np.float64],
    officer: int,
    allowed: NDArray[np.intp],
    width: int,
    ng: int,
    deadline: float,
) -> list[int]:
    o = problem.officers[officer]
    base = 2 * len(problem.officers)
    n = len(allowed)
    if n == 0:
        return []
    points = [problem.points[i] for i in allowed]
    rows = np.concatenate(([2 * officer], base + allowed))
    travel = matrix[np.ix_(rows, rows)]  # node 0 = start; nodes 1..n = allowed points
    back = matrix[rows, 2 * officer + 1]
    service = np.array([0.0] + [p.service for p in points])
    prize = np.array([0.0] + [p.prize for p in points])
    n_windows = max(1, max(len(p.windows) for p in points))
    opens = np.full((n + 1, n_windows), np.inf)
    closes = np.full((n + 1, n_windows), -np.inf)
    for j, p in enumerate(points, start=1):
        if p.windows:
            for w, window in enumerate(p.windows):
                opens[j, w], closes[j, w] = window.start, window.end
        else:
            opens[j, 0], closes[j, 0] = -np.inf, np.inf
    ng = min(ng, n)
    between = travel[1:, 1:].copy()
    np.fill_diagonal(between, np.inf)
    near = np.argsort(between, axis=1)[:, : max(ng, 1)] + 1
    near = np.vstack([np.zeros((1, near.shape[1]), dtype=near.dtype), near])
    bits = (1 << np.arange(near.shape[1], dtype=np.int64)).astype(np.int64)

    last = np.array([0])
    clock = np.array([o.shift_start])
    score = np.array([0.0])
    seen = np.zeros((1, n + 1), dtype=bool)
    seen[:, 0] = True
    parents: list[tuple[NDArray[np.intp], NDArray[np.intp]]] = []
    best = (0.0, -1, -1)
    while len(last) and time.monotonic() < deadline:
        arrival = (clock + service[last])[:, None] + travel[last]
        # Earliest start per candidate: first window still open at arrival.
        open_ok = arrival[:, :, None] <= closes[None, :, :]
        first = open_ok.argmax(axis=2)
        any_open = open_ok.any(axis=2)
        start = np.maximum(
            arrival, np.take_along_axis(opens[None, :, :], first[..., None], 2)[..., 0]
        )
        # Same arithmetic as the checker: finish, then travel back, within the shift.
        ok = ~seen & any_open & ((start + service[None, :]) + back[None, :] <= o.shift_end)
        li, j = np.nonzero(ok)
        if len(li) == 0:
            break
        new_start, new_score = start[li, j], score[li] + prize[j]
        signature = (seen[li[:, None], near[j]] * bits).sum(axis=1)
        group = j.astype(np.int64) * (1 << near.shape[1]) + signature
        order = np.lexsort((new_start, -new_score, -group))
        li, j, new_start, new_score, group = (
            li[order],
            j[order],
            new_start[order],
            new_score[order],
            group[order],
        )
        # Pareto filter inside each group: sorted by score, keep a label only if it
        # starts strictly earlier than every better-or-equal label of its group.
        # Groups are in decreasing order and offset by more than any time span, so a
        # running minimum restarts at each new group.
        span = float(np.ptp(new_start)) + 1.0
        key = (new_start - new_start.min()) + group.astype(np.float64) * span
        running = np.minimum.accumulate(key)
        keep = key < np.concatenate(([np.inf], running[:-1]))
        li, j, new_start, new_score = li[keep], j[keep], new_start[keep], new_score[keep]
        order = np.lexsort((new_start, -new_score, j))
        li, j, new_start, new_score = li[order], j[order], new_start[order], new_score[order]
        heads = np.r_[0, np.nonzero(np.diff(j))[0] + 1]
        rank = np.arange(len(j)) - np.repeat(heads, np.diff(np.r_[heads, len(j)]))
        take = rank < width
        li, j, new_start, new_score = li[take], j[take], new_start[take], new_score[take]
        seen = seen[li]
        seen[np.arange(len(j)), j] = True
        parents.append((j, li))
        top = int(np.argmax(new_score))
        if new_score[top] > best[0]:
            best = (float(new_score[top]), len(parents) - 1, top)
        last, clock, score = j, new_start, new_score
    _, layer, index = best
    route: list[int] = []
    while layer >= 0:
        j, li = parents[layer]
        route.append(int(allowed[j[index] - 1]))
        index = int(li[index])
        layer -= 1
    return route[::-1]


def dp_routes(
    problem: Problem,
    matrices: list[NDArray[np.float64]],
    deadline: float,
    width: int | None = None,
    ng: int = 6,
) -> list[list[int]]:
    """One route per officer, built in officer order over the points still free.

    Parameters
    ----------
    problem : Problem
    matrices : list of numpy.ndarray
        Travel matrix per officer (checker location order).
    deadline : float
        ``time.monotonic()`` value; a late layer stops early with the best route so far.
    width : int, optional
        Labels kept per point and layer; by default about 5,000 labels per layer.
    ng : int
        Size of the neighbour memory of the dominance rule.
    """
    free = np.array([i for i, p in enumerate(problem.points) if p.prize > 0], dtype=np.intp)
    if width is None:
        width = max(4, min(50, 5000 // max(1, len(free))))
    routes: list[list[int]] = []
    for k in range(len(problem.officers)):
        route = _route(problem, matrices[k], k, free, width, ng, deadline)
        routes.append(route)
        free = np.setdiff1d(free, np.asarray(route, dtype=np.intp))
    return routes
