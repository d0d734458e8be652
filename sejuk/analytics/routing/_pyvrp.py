"""The PyVRP side: the integer model of a :class:`Problem` and the search loop.

Integer model. PyVRP works in integers, so times are scaled by ``K`` and rounded
*conservatively*: travel and service times up, window openings and shift starts
up, window closings and shift ends down. By induction every integer arrival is
then >= the exact arrival times ``K``, so a route PyVRP calls feasible is feasible
in exact arithmetic too (the checker still judges every result). Travel time is
both PyVRP's duration and its distance.

Objective. Every point's prize is multiplied by ``P``, one more than the largest
total travel any plan can have (the sum of all shift lengths, scaled), so one
unit of prize always outweighs any amount of travel: PyVRP maximises the score
first and, among plans of equal score, minimises travel, which keeps routes
short and leaves slack for more visits.

Several windows. A point with several windows becomes one client per window in a
mutually exclusive :class:`pyvrp.ClientGroup` (required for must-visit points).

Search. A plain PyVRP iterated local search first; then, until the deadline,
rounds of "forbid and repair": a few visited optional points of the best plan
are forbidden (prize 0), a short PyVRP search repairs the plan without them, a
second short search with all prizes back re-inserts what fits, and the result
replaces the best plan when it scores more (or the same with less travel).
Forbidding points forces the search out of the deep local optimum that plain
PyVRP tends to stay in on these problems.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    Location,
    PenaltyParams,
    ProblemData,
    Route,
    Solution,
    SolveParams,
    VehicleType,
    solve,
)
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.search import NeighbourhoodParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .model import Problem, RoutingError

__all__ = ["Compiled", "compile_problem", "search"]

#: Times are scaled so the longest horizon is about this many integer units.
_TIME_RESOLUTION = 1e7
#: Non-integral prizes are scaled so the largest becomes about this integer.
_PRIZE_RESOLUTION = 1000
_INT_LIMIT = 2**62
#: Share of a worker's time for the first plain PyVRP search (the rest: forbid rounds).
_FIRST_SHARE = 0.25
#: Share of a worker's time the restricted DP may use before PyVRP starts from its plan.
_DP_SHARE = 0.3
#: PyVRP iterations of each of the two short searches in a forbid round.
_ROUND_ITERATIONS = 100
#: At most this many points are forbidden in one round.
_FORBID_MAX = 8


@dataclass(frozen=True)
class Compiled:
    """A problem translated for PyVRP, with the maps back to problem indices."""

    data: ProblemData
    client_point: tuple[int, ...]
    client_window: tuple[tuple[float, float] | None, ...]
    vehicle_officers: tuple[tuple[int, ...], ...]
    optional: tuple[int, ...]
    prizes: tuple[int, ...]
    scale: float
    max_penalty: float
    weight: int

    def all_collected(self, cost: int) -> bool:
        """Whether a feasible plan of this PyVRP cost collects every prize: any
        uncollected prize alone costs at least ``weight``, more than all travel."""
        return cost < self.weight


def _scale_for(horizon: float) -> float:
    if horizon <= 0:
        return 1.0
    return float(10 ** max(0, min(6, math.floor(math.log10(_TIME_RESOLUTION / horizon)))))


def _prize_ints(prizes: list[float]) -> list[int]:
    top = max(prizes, default=0.0)
    if top <= 0:
        return [0 for _ in prizes]
    if all(float(p).is_integer() for p in prizes) and top <= 10 * _PRIZE_RESOLUTION:
        return [int(p) for p in prizes]
    factor = _PRIZE_RESOLUTION / top
    # A positive prize never rounds to zero: a visit worth anything is worth something.
    return [max(1, round(p * factor)) if p > 0 else 0 for p in prizes]


def compile_problem(
    problem: Problem, matrices: list[NDArray[np.float64]], reachable: list[bool]
) -> Compiled:
    """Build the PyVRP data of a problem.

    Parameters
    ----------
    problem : Problem
    matrices : list of numpy.ndarray
        Travel matrix per officer, over :func:`checker.location_list` order; officers
        with the same travel source share one array (one PyVRP profile).
    reachable : list of bool
        Per point, whether some officer can visit it at all; others are left out.
    """
    officers = problem.officers
    t0 = min(o.shift_start for o in officers)
    horizon = max(o.shift_end for o in officers) - t0
    scale = _scale_for(horizon)
    horizon_int = math.floor(horizon * scale)

    sources: list[NDArray[np.float64]] = []
    for matrix in matrices:
        if all(matrix is not s for s in sources):
            sources.append(matrix)
    profile_of = {id(s): i for i, s in enumerate(sources)}

    # PyVRP locations: one depot per distinct (location, role) used by officers, then
    # one location per client (a point with several windows gets several clients).
    depot_rows: list[int] = []
    depots: list[Depot] = []
    officer_depots: list[tuple[int, int]] = []
    for k in range(len(officers)):
        pair = []
        for row in (2 * k, 2 * k + 1):
            depots.append(Depot(location=len(depot_rows), tw_early=0, tw_late=horizon_int))
            depot_rows.append(row)
            pair.append(len(depots) - 1)
        officer_depots.append((pair[0], pair[1]))

    base = 2 * len(officers)
    prize_ints = _prize_ints([p.prize for p in problem.points])
    total_shift = sum(math.floor((o.shift_end - o.shift_start) * scale) for o in officers)
    weight = total_shift + 1

    rows = list(depot_rows)
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    client_point: list[int] = []
    client_window: list[tuple[float, float] | None] = []
    for index, point in enumerate(problem.points):
        if not reachable[index]:
            continue
        windows: list[tuple[int, int, tuple[float, float] | None]] = []
        if point.windows:
            for w in point.windows:
                early = max(0, math.ceil((w.start - t0) * scale))
                late = min(horizon_int, math.floor((w.end - t0) * scale))
                if late >= early:
                    windows.append((early, late, (w.start, w.end)))
        else:
            windows.append((0, horizon_int, None))
        if not windows:
            continue
        prize = prize_ints[index] * weight
        service = math.ceil(point.service * scale)
        single = len(windows) == 1
        group_index = None if single else len(groups)
        if not single:
            groups.append(ClientGroup(required=point.must_visit))
        for early, late, exact in windows:
            clients.append(
                Client(
                    location=len(rows),
                    service_duration=service,
                    tw_early=early,
                    tw_late=late,
                    prize=prize,
                    required=point.must_visit and single,
                    group=group_index,
                    name=point.id,
                )
            )
            if group_index is not None:
                groups[group_index].add_client(len(clients) - 1)
            rows.append(base + index)
            client_point.append(index)
            client_window.append(exact)

    if sum(prize_ints) * weight >= _INT_LIMIT // 16:
        raise RoutingError("prizes and shift lengths are too large to model; shorten the horizon")

    index_rows = np.asarray(rows, dtype=np.intp)
    durations = []
    for source in sources:
        sub = source[np.ix_(index_rows, index_rows)]
        durations.append(np.ceil(sub * scale).astype(np.int64))

    # Identical officers share a vehicle type: the search need not tell them apart.
    types: dict[tuple[object, ...], list[int]] = {}
    for k, officer in enumerate(officers):
        key = (
            officer.start,
            officer.end_location,
            officer.shift_start,
            officer.shift_end,
            profile_of[id(matrices[k])],
        )
        types.setdefault(key, []).append(k)
    vehicle_types = []
    vehicle_officers = []
    for key, members in types.items():
        first = officers[members[0]]
        start_depot, end_depot = officer_depots[members[0]]
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                start_depot=start_depot,
                end_depot=end_depot,
                tw_early=max(0, math.ceil((first.shift_start - t0) * scale)),
                tw_late=math.floor((first.shift_end - t0) * scale),
                profile=int(key[4]),  # type: ignore[call-overload]
                unit_distance_cost=1,
                name=",".join(str(m) for m in members),
            )
        )
        vehicle_officers.append(tuple(members))

    locations = [Location(0.0, 0.0) for _ in rows]
    data = ProblemData(
        locations, clients, depots, vehicle_types, durations, durations, groups=groups
    )
    optional = tuple(
        i for i, c in enumerate(clients) if not problem.points[client_point[i]].must_visit
    )
    top_prize = max((c.prize for c in clients), default=1)
    # One unit of time warp must never pay for itself with a prize, but the
    # penalty times a large time warp must stay inside int64.
    cap = 1e18 / (max(1, horizon_int) * (len(clients) + len(vehicle_types) + 1))
    max_penalty = float(max(1e5, min(top_prize, cap)))
    return Compiled(
        data=data,
        client_point=tuple(client_point),
        client_window=tuple(client_window),
        vehicle_officers=tuple(vehicle_officers),
        optional=optional,
        prizes=tuple(c.prize for c in clients),
        scale=scale,
        max_penalty=max_penalty,
        weight=weight,
    )


def _params(compiled: Compiled) -> SolveParams:
    neighbours = min(100, max(1, compiled.data.num_clients - 1))
    return SolveParams(
        penalty=PenaltyParams(max_penalty=compiled.max_penalty),
        neighbourhood=NeighbourhoodParams(num_neighbours=neighbours),
    )


def _routes(solution: Solution) -> list[tuple[int, list[int]]]:
    return [
        (r.vehicle_type(), [a.idx for a in r.schedule() if a.is_client()])
        for r in solution.routes()
    ]


def _better(a: Solution, b: Solution | None) -> bool:
    if not a.is_feasible():
        return False
    if b is None:
        return True
    return (a.prizes(), -a.distance()) > (b.prizes(), -b.distance())


def search(
    compiled: Compiled,
    deadline: float,
    seed: int,
    initial: list[tuple[int, list[int]]] | None = None,
    first_share: float = _FIRST_SHARE,
    rounds_iters: int = _ROUND_ITERATIONS,
) -> tuple[list[tuple[int, list[int]]], int]:
    """Search until ``deadline`` (a ``time.monotonic()`` value).

    Returns
    -------
    routes : list of (vehicle type, client indices)
        The best feasible plan found (empty when none was found).
    rounds : int
        Forbid-and-repair rounds run.
    """
    data = compiled.data
    params = _params(compiled)
    if data.num_clients == 0:
        return [], 0
    rng = np.random.default_rng(seed)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        remaining = 0.01
    warm = None
    if initial:
        warm = Solution(data, [_route_for(data, vt, r) for vt, r in initial if r])
    done = _AllCollected(compiled)
    result = solve(
        data,
        MultipleCriteria([MaxRuntime(max(0.01, remaining * first_share)), done]),
        seed=seed,
        params=params,
        collect_stats=False,
        initial_solution=warm,
    )
    best: Solution | None = result.best if result.best.is_feasible() else None
    rounds = 0
    optional = np.asarray(compiled.optional, dtype=np.intp)
    optional_set = set(compiled.optional)
    clients = data.clients()
    while time.monotonic() < deadline and best is not None and len(optional):
        if compiled.all_collected(best.distance_cost() + best.uncollected_prizes()):
            break  # nothing left to gain
        rounds += 1
        routes = _routes(best)
        visited = [c for _, r in routes for c in r if c in optional_set]
        if not visited:
            break
        k = int(rng.integers(1, min(_FORBID_MAX, len(visited)) + 1))
        if rng.random() < 0.5:
            # A string of consecutive visits: frees a stretch of one route's time
            # for a different set of points (what solved c104 of the benchmark).
            _, chosen = routes[int(rng.integers(len(routes)))]
            chosen = [c for c in chosen if c in optional_set] or visited
            first = int(rng.integers(len(chosen)))
            forbidden = set(chosen[first : first + k])
        else:
            forbidden = set(rng.choice(visited, size=k, replace=False).tolist())
        reduced = data.replace(
            clients=[_without_prize(c) if i in forbidden else c for i, c in enumerate(clients)]
        )
        start = Solution(
            reduced,
            [
                _route_for(reduced, vt, [c for c in r if c not in forbidden])
                for vt, r in routes
                if any(c not in forbidden for c in r)
            ],
        )
        left = deadline - time.monotonic()
        if left <= 0:
            break
        stop = MultipleCriteria([MaxIterations(rounds_iters), MaxRuntime(left)])
        repaired = solve(
            reduced,
            stop,
            seed=int(rng.integers(2**31)),
            params=params,
            collect_stats=False,
            initial_solution=start,
        ).best
        if not repaired.is_feasible():
            continue
        again = Solution(data, [_route_for(data, vt, r) for vt, r in _routes(repaired) if r])
        left = deadline - time.monotonic()
        if left <= 0:
            break
        stop = MultipleCriteria([MaxIterations(rounds_iters), MaxRuntime(left)])
        candidate = solve(
            data,
            stop,
            seed=int(rng.integers(2**31)),
            params=params,
            collect_stats=False,
            initial_solution=again,
        ).best
        if _better(candidate, best):
            best = candidate
    return (_routes(best) if best is not None else []), rounds


class _AllCollected:
    """PyVRP stopping criterion: stop once the best plan visits every point."""

    def __init__(self, compiled: Compiled) -> None:
        self._compiled = compiled

    def __call__(self, best_cost: int) -> bool:
        return self._compiled.all_collected(best_cost)


def _without_prize(client: Client) -> Client:
    return Client(
        location=client.location,
        service_duration=client.service_duration,
        tw_early=client.tw_early,
        tw_late=client.tw_late,
        prize=0,
        required=False,
        group=client.group,
        name=client.name,
    )


def _route_for(data: ProblemData, vehicle_type: int, clients: list[int]) -> Route:
    return Route(data, clients, vehicle_type)


def to_clients(
    compiled: Compiled, starts: list[list[tuple[int, float]]]
) -> list[tuple[int, list[int]]]:
    """PyVRP routes (vehicle type, clients) of exact routes given as (point, start) lists
    per officer; a point with several windows maps to the copy of the window used."""
    copies: dict[int, list[int]] = {}
    for client, point in enumerate(compiled.client_point):
        copies.setdefault(point, []).append(client)
    type_of = {k: t for t, members in enumerate(compiled.vehicle_officers) for k in members}
    out = []
    for officer, visits in enumerate(starts):
        clients = []
        for point, start in visits:
            options = copies.get(point, [])
            chosen = next(
                (
                    c
                    for c in options
                    if compiled.client_window[c] is None
                    or compiled.client_window[c][0] <= start <= compiled.client_window[c][1]  # type: ignore[index]
                ),
                options[0] if options else None,
            )
            if chosen is not None:
                clients.append(chosen)
        out.append((type_of[officer], clients))
    return out


def worker(
    args: tuple[Problem, list[NDArray[np.float64]], Compiled, float, int, bool],
) -> tuple[list[tuple[int, list[int]]], list[list[int]]]:
    """One independent search, in a worker process or in-process.

    ``args`` is ``(problem, matrices, compiled, wall deadline (time.time()), seed,
    use_dp)``. With ``use_dp`` the restricted DP (:mod:`._dp`) first builds a plan
    in exact arithmetic, which also warm-starts PyVRP. Returns PyVRP's best routes
    ``(vehicle type, clients)`` and the DP's routes (point indices per officer, or
    empty).
    """
    from ._dp import dp_routes
    from ._exact import Evaluator

    problem, matrices, compiled, wall_deadline, seed, use_dp = args
    deadline = time.monotonic() + (wall_deadline - time.time())
    dp: list[list[int]] = []
    initial = None
    if use_dp:
        share = time.monotonic() + _DP_SHARE * (deadline - time.monotonic())
        dp = dp_routes(problem, matrices, share)
        ev = Evaluator(problem, matrices)
        starts = []
        for k, route in enumerate(dp):
            schedule = ev.schedule(k, route)
            times = schedule[0] if schedule else []
            starts.append([(p, t[1]) for p, t in zip(route, times, strict=False)])
        initial = to_clients(compiled, starts)
    with warnings.catch_warnings():
        # PyVRP warns when its penalties saturate, i.e. when must-visit points do not
        # fit together; plan() reports that case itself, with the points named.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        routes, _ = search(compiled, deadline, seed, initial)
    return routes, dp
