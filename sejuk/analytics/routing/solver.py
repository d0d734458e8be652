"""The entry point: :func:`plan`."""

from __future__ import annotations

import dataclasses
import math
import pickle
import subprocess
import sys
import time

import numpy as np
from numpy.typing import NDArray

from . import _pyvrp
from ._exact import Evaluator
from .checker import check, location_list
from .model import InfeasibleProblemError, Plan, Problem, Route, RoutingError, Stop, Visit
from .travel import EuclideanTravel

__all__ = ["plan"]

#: Share of the budget for the PyVRP search; the rest is for the polish and the check.
_SEARCH_SHARE = 0.9


def _travel_matrices(problem: Problem) -> list[NDArray[np.float64]]:
    """Travel matrix of each officer over :func:`location_list`; officers with the same
    travel source share one array."""
    locations = location_list(problem)
    by_source: dict[int, NDArray[np.float64]] = {}
    n = len(locations)
    out = []
    for officer in problem.officers:
        source = officer.travel or problem.travel
        if id(source) not in by_source:
            matrix = np.asarray(source.matrix(locations), dtype=np.float64)
            if matrix.shape != (n, n):
                raise RoutingError(
                    f"travel source returned shape {matrix.shape}, expected {(n, n)}"
                )
            if not np.isfinite(matrix).all() or (matrix < 0).any():
                raise RoutingError("travel source returned negative or non-finite times")
            by_source[id(source)] = matrix
        out.append(by_source[id(source)])
    return out


def _reachability(problem: Problem, ev: Evaluator) -> list[bool]:
    """Whether each point fits in some officer's shift on a direct trip; raises for
    officers who cannot even get from start to end, and for unreachable must-visits."""
    for k, officer in enumerate(problem.officers):
        if ev.schedule(k, []) is None:
            raise InfeasibleProblemError(
                f"officer {officer.id} cannot get from the start to the end location "
                f"within the shift"
            )
    reachable = []
    for i, point in enumerate(problem.points):
        ok = any(ev.schedule(k, [i]) is not None for k in range(len(problem.officers)))
        if not ok and point.must_visit:
            windows = ", ".join(f"[{w.start:g}, {w.end:g}]" for w in point.windows) or "any time"
            raise InfeasibleProblemError(
                f"must-visit point {point.id} cannot be reached by any officer: with its "
                f"windows {windows} and service {point.service:g} s, no shift can get there "
                f"and back in time"
            )
        reachable.append(ok)
    return reachable


def _run(
    problem: Problem,
    matrices: list[NDArray[np.float64]],
    compiled: _pyvrp.Compiled,
    deadline: float,
    seed: int,
    workers: int,
) -> list[tuple[list[tuple[int, list[int]]], list[list[int]]]]:
    wall_deadline = time.time() + (deadline - time.monotonic())
    # Workers get the matrices, never the travel sources: a caller's own source class
    # (defined in a script, holding a connection) need not be picklable or importable.
    portable = Problem(
        officers=tuple(dataclasses.replace(o, travel=None) for o in problem.officers),
        points=problem.points,
        travel=EuclideanTravel(),  # placeholder: workers read times from `matrices`
    )
    # Worker 0 starts from the restricted DP's plan, the others from PyVRP's random
    # start: two kinds of starting points find different local optima.
    jobs = [
        (portable, matrices, compiled, wall_deadline, seed + i, i % 2 == 0) for i in range(workers)
    ]
    if workers == 1:
        return [_pyvrp.worker(jobs[0])]
    # Worker 0 runs here; the others in child processes started before it.
    children = []
    for job in jobs[1:]:
        child = subprocess.Popen(
            [sys.executable, "-m", "sejuk.analytics.routing._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert child.stdin is not None
        try:
            child.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            child.stdin.close()
        except OSError:
            pass  # the child died at start; communicate() below collects nothing
        child.stdin = None  # so communicate() below does not touch it again
        children.append(child)
    results = [_pyvrp.worker(jobs[0])]
    for child in children:
        try:
            payload, _ = child.communicate(timeout=max(5.0, deadline - time.monotonic() + 5.0))
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            continue
        if child.returncode == 0 and payload:
            results.append(pickle.loads(payload))  # noqa: S301 - our own child's output
        # A failed child only costs its share of the search; the others stand.
    return results


def _to_officers(
    problem: Problem, compiled: _pyvrp.Compiled, routes: list[tuple[int, list[int]]]
) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in problem.officers]
    free = [list(members) for members in compiled.vehicle_officers]
    for vehicle_type, clients in routes:
        officer = free[vehicle_type].pop(0)
        out[officer] = [compiled.client_point[c] for c in clients]
    return out


def plan(problem: Problem, stop: Stop | float = 10.0, seed: int = 0) -> Plan:
    """Plan the officers' routes: maximise the prizes collected within shifts and windows.

    Parameters
    ----------
    problem : Problem
        Officers, points and travel times.
    stop : Stop or float
        Wall-clock budget in seconds for the whole call (a float), or a
        :class:`Stop` that also sets the number of parallel workers.
    seed : int
        Seed of the search; worker ``i`` uses ``seed + i``. With one worker the
        same seed gives the same plan only for the same time budget, since the
        search is time-bounded.

    Returns
    -------
    Plan
        Feasible by the independent checker (``plan.feasible`` is True), with
        every must-visit point visited.

    Raises
    ------
    InfeasibleProblemError
        A must-visit point that no officer can reach in time, an officer who
        cannot get from start to end within the shift, or must-visit points that
        no plan found could cover together.
    RoutingError
        Bad input.
    """
    began = time.monotonic()
    if not isinstance(stop, Stop):
        stop = Stop(seconds=float(stop))
    if not isinstance(problem, Problem):
        raise RoutingError("plan() expects a Problem")
    if not isinstance(seed, int) or seed < 0:
        raise RoutingError(f"seed must be a non-negative integer, got {seed!r}")
    matrices = _travel_matrices(problem)
    ev = Evaluator(problem, matrices)
    reachable = _reachability(problem, ev)
    compiled = _pyvrp.compile_problem(problem, matrices, reachable)

    search_deadline = began + stop.seconds * _SEARCH_SHARE
    final_deadline = began + stop.seconds
    best: list[list[int]] | None = None
    best_key: tuple[float, float, float] | None = None
    candidates: list[list[list[int]]] = []
    for pyvrp_routes, dp_routes in _run(
        problem, matrices, compiled, search_deadline, seed, stop.workers
    ):
        candidates.append(_to_officers(problem, compiled, pyvrp_routes))
        if dp_routes:
            candidates.append(dp_routes)
    must = [i for i, p in enumerate(problem.points) if p.must_visit]
    for routes in candidates:
        routes = [ev.repair(k, r) for k, r in enumerate(routes)]
        covered = {p for r in routes for p in r}
        key = (float(all(i in covered for i in must)), ev.score(routes), -ev.travel(routes))
        if best_key is None or key > best_key:
            best, best_key = routes, key
    if best is None:
        best = [[] for _ in problem.officers]
    best = ev.polish(best, final_deadline)

    missing = [
        p.id for i, p in enumerate(problem.points) if p.must_visit and all(i not in r for r in best)
    ]
    if missing:
        raise InfeasibleProblemError(
            "no plan found visits every must-visit point (missing: "
            + ", ".join(missing[:10])
            + "); each is reachable alone, so they may not fit together in the shifts"
        )
    result = _build_plan(problem, ev, best, seed, time.monotonic() - began)
    report = check(problem, result)
    if not report.feasible:  # pragma: no cover - a solver bug, never silent
        report.raise_if_infeasible()
    return result


def _build_plan(
    problem: Problem, ev: Evaluator, routes: list[list[int]], seed: int, runtime: float
) -> Plan:
    out = []
    for k, (officer, route) in enumerate(zip(problem.officers, routes, strict=True)):
        schedule = ev.schedule(k, route)
        if schedule is None:  # pragma: no cover - repaired above
            raise RoutingError(f"internal error: infeasible route for {officer.id}")
        times, back = schedule
        visits = tuple(
            Visit(problem.points[p].id, a, s, d) for p, (a, s, d) in zip(route, times, strict=True)
        )
        score = math.fsum(problem.points[p].prize for p in route)
        out.append(Route(officer.id, visits, officer.shift_start, back, score))
    visited = {p for r in routes for p in r}
    unvisited = tuple(p.id for i, p in enumerate(problem.points) if i not in visited)
    return Plan(
        routes=tuple(out),
        score=math.fsum(r.score for r in out),
        unvisited=unvisited,
        feasible=True,
        seed=seed,
        runtime=runtime,
    )
