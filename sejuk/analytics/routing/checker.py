"""The independent feasibility checker.

It shares no code with the solver: from the raw :class:`Problem` it recomputes
every travel leg, arrival and score in plain float64 arithmetic, with no
tolerance on the feasibility tests, and lists everything that is wrong. The
solver runs it on every plan it returns, and tests run it on hand-made plans.

Two inputs are understood:

* a :class:`Plan` (routes with claimed times): the claimed times are verified
  leg by leg (no arrival before the officer can get there, service start inside
  a window, back before the shift ends) and the claimed scores are recomputed;
* a mapping ``officer id -> [point ids in order]``: the earliest schedule is
  computed (leave at shift start, wait when early) and verified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import Officer, Plan, Point, Problem, Route, RoutingError, Visit

__all__ = ["CheckReport", "Violation", "check", "location_list"]

#: Kinds of violation the checker reports.
CODES = (
    "unknown-officer",
    "unknown-point",
    "duplicate-visit",
    "late-arrival",
    "window-violated",
    "early-departure",
    "shift-overrun",
    "inconsistent-times",
    "missing-must-visit",
    "wrong-score",
)


@dataclass(frozen=True)
class Violation:
    """One problem found in a plan."""

    code: str
    message: str
    officer_id: str | None = None
    point_id: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """What the checker found: the recomputed score and every violation."""

    score: float
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        """True when nothing is wrong."""
        return not self.violations

    def codes(self) -> set[str]:
        """The kinds of violation found."""
        return {v.code for v in self.violations}

    def raise_if_infeasible(self) -> None:
        """Raise :class:`RoutingError` listing the violations, if any."""
        if self.violations:
            listed = "; ".join(str(v) for v in self.violations[:5])
            more = f" (+{len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
            raise RoutingError(f"infeasible plan: {listed}{more}")


def location_list(problem: Problem) -> list[tuple[float, float]]:
    """Canonical location order: each officer's start and end, then every point.

    Solver and checker both ask the travel source for the matrix of exactly this
    list, so they see bit-identical travel times.
    """
    locations: list[tuple[float, float]] = []
    for officer in problem.officers:
        locations.append(officer.start)
        locations.append(officer.end_location)
    locations.extend(p.location for p in problem.points)
    return locations


def _matrices(problem: Problem) -> dict[int, NDArray[np.float64]]:
    """Travel matrix per distinct travel source (keyed by ``id(source)``)."""
    locations = location_list(problem)
    out: dict[int, NDArray[np.float64]] = {}
    for source in [problem.travel, *(o.travel for o in problem.officers if o.travel)]:
        if id(source) not in out:
            matrix = np.asarray(source.matrix(locations), dtype=np.float64)
            n = len(locations)
            if matrix.shape != (n, n) or not np.isfinite(matrix).all() or (matrix < 0).any():
                raise RoutingError(f"travel source returned a bad matrix for {n} locations")
            out[id(source)] = matrix
    return out


def _open_at(point: Point, start: float) -> bool:
    if not point.windows:
        return True
    return any(w.start <= start <= w.end for w in point.windows)


def _earliest_start(point: Point, arrival: float) -> float | None:
    """Earliest service start at or after ``arrival`` inside a window; None if all closed."""
    if not point.windows:
        return arrival
    for window in point.windows:
        if arrival <= window.end:
            return max(arrival, window.start)
    return None


def check(problem: Problem, plan: Plan | Mapping[str, Sequence[str]]) -> CheckReport:
    """Check a plan against the raw problem data.

    Parameters
    ----------
    problem : Problem
        The problem the plan claims to solve.
    plan : Plan or mapping of officer id to point ids
        A plan with times, or bare visit orders per officer.

    Returns
    -------
    CheckReport
        The recomputed score and the violations (empty when feasible).
    """
    matrices = _matrices(problem)
    officers = {o.id: (i, o) for i, o in enumerate(problem.officers)}
    points = {p.id: (i, p) for i, p in enumerate(problem.points)}
    base = 2 * len(problem.officers)
    violations: list[Violation] = []
    visited: set[str] = set()
    prizes: list[float] = []

    if isinstance(plan, Plan):
        orders = [(r.officer_id, r.point_ids) for r in plan.routes]
    else:
        orders = [(oid, list(ids)) for oid, ids in plan.items()]

    seen_officers: set[str] = set()
    for route_index, (officer_id, ids) in enumerate(orders):
        if officer_id not in officers or officer_id in seen_officers:
            what = "unknown" if officer_id not in officers else "repeated"
            violations.append(
                Violation("unknown-officer", f"{what} officer {officer_id!r}", officer_id)
            )
            continue
        seen_officers.add(officer_id)
        index, officer = officers[officer_id]
        matrix = matrices[id(officer.travel or problem.travel)]
        route_prizes: list[float] = []
        # Every visit to a known point is a leg of the route, duplicates included
        # (the time is spent), but a point's prize counts once.
        known: list[tuple[int, Point]] = []
        known_positions: list[int] = []
        for position, pid in enumerate(ids):
            if pid not in points:
                violations.append(
                    Violation("unknown-point", f"unknown point {pid!r}", officer_id, pid)
                )
                continue
            pi, point = points[pid]
            known.append((base + pi, point))
            known_positions.append(position)
            if pid in visited:
                violations.append(
                    Violation("duplicate-visit", f"point {pid} visited twice", officer_id, pid)
                )
                continue
            visited.add(pid)
            route_prizes.append(point.prize)
        route_score = math.fsum(route_prizes)
        prizes.extend(route_prizes)
        if isinstance(plan, Plan):
            route = plan.routes[route_index]
            visits = [route.visits[i] for i in known_positions]
            violations += _check_timed(officer, index, matrix, known, visits, route)
            if abs(route.score - route_score) > 1e-9 * max(1.0, abs(route_score)):
                violations.append(
                    Violation(
                        "wrong-score",
                        f"route of {officer_id} claims {route.score}, recomputed {route_score}",
                        officer_id,
                    )
                )
        else:
            violations += _check_sequence(officer, index, matrix, known)

    total = math.fsum(prizes)
    for point in problem.points:
        if point.must_visit and point.id not in visited:
            violations.append(
                Violation(
                    "missing-must-visit",
                    f"must-visit point {point.id} is not visited",
                    point_id=point.id,
                )
            )
    if isinstance(plan, Plan) and abs(plan.score - total) > 1e-9 * max(1.0, abs(total)):
        violations.append(
            Violation("wrong-score", f"plan claims score {plan.score}, recomputed {total}")
        )
    return CheckReport(score=total, violations=tuple(violations))


def _check_sequence(
    officer: Officer, index: int, matrix: NDArray[np.float64], known: list[tuple[int, Point]]
) -> list[Violation]:
    out: list[Violation] = []
    here, clock = 2 * index, officer.shift_start
    for loc, point in known:
        arrival = clock + float(matrix[here, loc])
        start = _earliest_start(point, arrival)
        if start is None:
            last = point.windows[-1].end
            out.append(
                Violation(
                    "late-arrival",
                    f"arrives at {point.id} at {arrival:.6g}, after its last window closes "
                    f"at {last:.6g}",
                    officer.id,
                    point.id,
                )
            )
            start = arrival  # keep going to report later problems too
        here, clock = loc, start + point.service
    back = clock + float(matrix[here, 2 * index + 1])
    if back > officer.shift_end:
        out.append(
            Violation(
                "shift-overrun",
                f"{officer.id} is back at {back:.6g}, after the shift ends at "
                f"{officer.shift_end:.6g}",
                officer.id,
            )
        )
    return out


def _check_timed(
    officer: Officer,
    index: int,
    matrix: NDArray[np.float64],
    known: list[tuple[int, Point]],
    visits: list[Visit],
    route: Route,
) -> list[Violation]:
    out: list[Violation] = []
    departure = route.departure
    if departure < officer.shift_start:
        out.append(
            Violation(
                "early-departure",
                f"{officer.id} leaves at {departure:.6g}, before the shift starts at "
                f"{officer.shift_start:.6g}",
                officer.id,
            )
        )
    here, clock = 2 * index, departure
    for (loc, point), visit in zip(known, visits, strict=True):
        possible = clock + float(matrix[here, loc])
        if visit.arrival < possible or visit.start < possible:
            out.append(
                Violation(
                    "late-arrival",
                    f"{officer.id} cannot reach {point.id} before {possible:.6g}, but the plan "
                    f"has arrival {visit.arrival:.6g} and start {visit.start:.6g}",
                    officer.id,
                    point.id,
                )
            )
        if visit.start < visit.arrival or visit.departure < visit.start + point.service:
            out.append(
                Violation(
                    "inconsistent-times",
                    f"at {point.id}: arrival {visit.arrival:.6g}, start {visit.start:.6g}, "
                    f"departure {visit.departure:.6g} with service {point.service:.6g}",
                    officer.id,
                    point.id,
                )
            )
        if not _open_at(point, visit.start):
            out.append(
                Violation(
                    "window-violated",
                    f"service at {point.id} starts at {visit.start:.6g}, outside its windows "
                    + ", ".join(f"[{w.start:.6g}, {w.end:.6g}]" for w in point.windows),
                    officer.id,
                    point.id,
                )
            )
        here, clock = loc, max(visit.departure, visit.start + point.service)
    back = clock + float(matrix[here, 2 * index + 1])
    claimed = route.return_time
    if claimed < back:
        out.append(
            Violation(
                "late-arrival",
                f"{officer.id} cannot be back before {back:.6g}, the plan says {claimed:.6g}",
                officer.id,
            )
        )
    if max(back, claimed) > officer.shift_end:
        out.append(
            Violation(
                "shift-overrun",
                f"{officer.id} is back at {max(back, claimed):.6g}, after the shift ends at "
                f"{officer.shift_end:.6g}",
                officer.id,
            )
        )
    return out
