"""Exact (float64) schedules, repair and the local-search polish of the solver.

Routes here are lists of point indices per officer. Everything is recomputed in
float64 from the problem's travel matrices, the same arithmetic the checker uses
(``arrival = previous departure + travel``, ``start = max(arrival, window
opening)``, ``departure = start + service``), with no tolerance.

Polish. PyVRP optimises a rounded integer model; the polish works on the exact
one, where a route may have a little more slack than PyVRP could see:

1. insert unvisited points (highest prize first) wherever they fit, choosing the
   position that delays the rest of the route least;
2. for each visited optional point, remove it and greedily insert unvisited
   points into the freed time; keep the change when the score rises.

Both repeat until nothing improves or the deadline passes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .model import Problem

__all__ = ["Evaluator"]


class Evaluator:
    """Exact schedules of routes over one problem."""

    def __init__(self, problem: Problem, matrices: list[NDArray[np.float64]]) -> None:
        self.problem = problem
        self.base = 2 * len(problem.officers)
        self.windows: list[list[tuple[float, float]]] = [
            [(w.start, w.end) for w in p.windows] for p in problem.points
        ]
        self.service = [p.service for p in problem.points]
        self.prize = [p.prize for p in problem.points]
        self.must = [p.must_visit for p in problem.points]
        # Python lists index far faster than numpy scalars in the polish loops.
        lists: dict[int, list[list[float]]] = {}
        self.matrix: list[list[list[float]]] = []
        for matrix in matrices:
            if id(matrix) not in lists:
                lists[id(matrix)] = matrix.tolist()
            self.matrix.append(lists[id(matrix)])

    def _start(self, point: int, arrival: float) -> float | None:
        windows = self.windows[point]
        if not windows:
            return arrival
        for opens, closes in windows:
            if arrival <= closes:
                return arrival if arrival >= opens else opens
        return None

    def schedule(
        self, officer: int, route: Sequence[int]
    ) -> tuple[list[tuple[float, float, float]], float] | None:
        """``([(arrival, start, departure)...], return time)``, or None if infeasible."""
        o = self.problem.officers[officer]
        m = self.matrix[officer]
        here, clock = 2 * officer, o.shift_start
        out: list[tuple[float, float, float]] = []
        for point in route:
            row = self.base + point
            arrival = clock + m[here][row]
            start = self._start(point, arrival)
            if start is None:
                return None
            clock = start + self.service[point]
            out.append((arrival, start, clock))
            here = row
        back = clock + m[here][2 * officer + 1]
        if back > o.shift_end:
            return None
        return out, back

    def feasible(self, officer: int, route: Sequence[int]) -> bool:
        return self.schedule(officer, route) is not None

    def repair(self, officer: int, route: list[int]) -> list[int]:
        """Drop optional visits until the route is feasible (rarely needed: the
        integer model is conservative). Late points go first, then the cheapest."""
        route = list(route)
        while route and not self.feasible(officer, route):
            bad = self._first_late(officer, route)
            if bad is None or self.must[route[bad]]:
                optional = [i for i, p in enumerate(route) if not self.must[p]]
                if not optional:
                    break
                bad = min(optional, key=lambda i: self.prize[route[i]])
            del route[bad]
        return route

    def _first_late(self, officer: int, route: Sequence[int]) -> int | None:
        o = self.problem.officers[officer]
        m = self.matrix[officer]
        here, clock = 2 * officer, o.shift_start
        for i, point in enumerate(route):
            row = self.base + point
            start = self._start(point, clock + m[here][row])
            if start is None:
                return i
            clock, here = start + self.service[point], row
        return None

    # -- polish ---------------------------------------------------------------

    def _best_insertion(
        self, officer: int, route: list[int], point: int
    ) -> tuple[float, int] | None:
        """Cheapest feasible position for ``point``: (new return time, position)."""
        o = self.problem.officers[officer]
        m = self.matrix[officer]
        base = self.base
        row_u = base + point
        service_u = self.service[point]
        last_close = self.windows[point][-1][1] if self.windows[point] else math.inf
        best: tuple[float, int] | None = None
        here, clock = 2 * officer, o.shift_start
        n = len(route)
        for pos in range(n + 1):
            arrival = clock + m[here][row_u]
            if arrival > last_close:
                break  # later positions only arrive later
            start = self._start(point, arrival)
            if start is not None:
                t, prev = start + service_u, row_u
                ok = True
                for k in range(pos, n):
                    nxt = route[k]
                    s = self._start(nxt, t + m[prev][base + nxt])
                    if s is None:
                        ok = False
                        break
                    t, prev = s + self.service[nxt], base + nxt
                if ok:
                    back = t + m[prev][2 * officer + 1]
                    if back <= o.shift_end and (best is None or back < best[0]):
                        best = (back, pos)
            if pos < n:
                nxt = route[pos]
                s = self._start(nxt, clock + m[here][base + nxt])
                if s is None:
                    break
                clock, here = s + self.service[nxt], base + nxt
        return best

    def _greedy_fill(
        self,
        routes: list[list[int]],
        unvisited: list[int],
        deadline: float,
        only: int | None = None,
    ) -> float:
        """Insert unvisited points, highest prize first; returns the prize gained."""
        gained = 0.0
        for point in sorted(unvisited, key=lambda p: -self.prize[p]):
            if time.monotonic() > deadline:
                break
            best: tuple[float, int, int] | None = None
            officers = range(len(routes)) if only is None else [only]
            for k in officers:
                found = self._best_insertion(k, routes[k], point)
                if found is not None:
                    # Prefer the route whose return is delayed least.
                    delay = found[0]
                    if best is None or delay < best[0]:
                        best = (delay, k, found[1])
            if best is not None:
                _, k, pos = best
                routes[k].insert(pos, point)
                unvisited.remove(point)
                gained += self.prize[point]
        return gained

    def polish(self, routes: list[list[int]], deadline: float) -> list[list[int]]:
        """Improve feasible routes in place-safe fashion; returns the new routes."""
        routes = [list(r) for r in routes]
        visited = {p for r in routes for p in r}
        unvisited = [p for p in range(len(self.prize)) if p not in visited and self.prize[p] > 0]
        self._greedy_fill(routes, unvisited, deadline)
        improved = True
        while improved and time.monotonic() < deadline:
            improved = False
            order = sorted(
                ((k, p) for k, r in enumerate(routes) for p in r if not self.must[p]),
                key=lambda kp: self.prize[kp[1]],
            )
            for k, point in order:
                if time.monotonic() > deadline:
                    break
                if point not in routes[k]:
                    continue
                trial = [list(r) for r in routes]
                trial[k].remove(point)
                pool = [p for p in unvisited if self.prize[p] > 0]
                gain = self._greedy_fill(trial, pool, deadline, only=k)
                if gain > self.prize[point]:
                    routes = trial
                    unvisited = pool + [point]
                    self._greedy_fill(routes, unvisited, deadline)
                    improved = True
        return routes

    def score(self, routes: Sequence[Sequence[int]]) -> float:
        return math.fsum(self.prize[p] for r in routes for p in r)

    def travel(self, routes: Sequence[Sequence[int]]) -> float:
        total = 0.0
        for k, route in enumerate(routes):
            m = self.matrix[k]
            rows = [2 * k] + [self.base + p for p in route] + [2 * k + 1]
            total += math.fsum(m[a][b] for a, b in zip(rows, rows[1:], strict=False))
        return total
