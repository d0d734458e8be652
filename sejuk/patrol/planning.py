"""The glue between the platform and the routing library.

Three steps, each easy to test on its own:

1. ``gather(officers, day)`` (Django): the officers' shifts and start points, the
   active titik rawan of their kelurahan with the prize of each (``prize.py``), the
   scheduled events of the day, and the Kapolsek's directives of an existing plan, as
   plain dataclasses (``OfficerInput``, ``PointInput``);
2. ``build_problem(officers, points)``: those dataclasses to a routing ``Problem``
   (no Django);
3. ``read_routes(plan)``: the routing ``Plan`` back to ordered stops with local times
   per officer (no Django).

``solve()`` runs 2, the routing library's ``plan()``, its independent feasibility
checker and 3. Writing the result to the database is ``actions.do_generate_plans``.

Times here are minutes after local midnight (Asia/Jakarta) of the plan's day; the
routing problem uses seconds after that midnight.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sejuk.analytics import routing

# Minutes on site at a titik rawan, by category (a market or a TPS takes longer).
SERVICE_MINUTES: dict[str, int] = {
    "crowd": 20,
    "meeting": 20,
    "office": 15,
    "campaign": 20,
    "tps": 20,
    "worship": 15,
    "market": 25,
    "other": 15,
}
# A locked stop starts at its time or up to this many minutes later: the solver rounds
# times conservatively to its integer grid, where an exact instant can fall between
# two steps and be out of reach.
LOCK_SLACK_MINUTES = 1


@dataclass(frozen=True)
class OfficerInput:
    """One officer's day: shift (minutes after local midnight) and where it starts/ends."""

    officer_id: int
    name: str
    kelurahan: tuple[str, ...]
    shift_start: int
    shift_end: int
    start: tuple[float, float]
    end: tuple[float, float]
    mode: str = "motorbike"
    start_label: str = ""
    end_label: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.shift_start < self.shift_end <= 24 * 60:
            raise ValueError(
                f"officer {self.officer_id}: shift {self.shift_start}-{self.shift_end} "
                "is not a span of minutes within one day"
            )
        if self.mode not in ("motorbike", "foot"):
            raise ValueError(f"officer {self.officer_id}: unknown travel mode {self.mode!r}")


@dataclass
class PointInput:
    """A point the plan may visit: a titik rawan (with its events) or an event place."""

    key: str  # "t<titik id>" or "e<event id>": the identity across re-plans
    name: str
    kelurahan: str
    lat: float
    lon: float
    prize: float
    service_minutes: int
    # Allowed service-start windows in minutes (a locked stop's to the second);
    # empty = any time in the shift.
    windows: list[tuple[float, float]] = field(default_factory=list)
    must_visit: bool = False
    reason: str = ""
    days_since: int | None = None
    titik_id: int | None = None
    event_id: int | None = None
    pinned: bool = False
    locked: bool = False
    removed: bool = False
    # Done already today: not routed again.
    done: bool = False
    # The officer a locked stop stays with.
    locked_officer: int | None = None

    def __post_init__(self) -> None:
        if self.prize < 0:
            raise ValueError(f"point {self.key}: negative prize {self.prize}")
        if self.service_minutes < 0:
            raise ValueError(f"point {self.key}: negative service time")
        for a, b in self.windows:
            if not 0 <= a <= b <= 24 * 60:
                raise ValueError(f"point {self.key}: window {a}-{b} is not within one day")


@dataclass
class RoutedStop:
    key: str
    sequence: int
    arrive: float  # minutes after local midnight
    start: float
    depart: float


@dataclass
class SolveResult:
    routes: dict[int, list[RoutedStop]]  # officer id -> stops in order
    prize_planned: dict[int, float]
    prize_available: float
    seconds: float
    feasible: bool
    check_message: str = ""
    # (what it concerns: a point key, "o<officer id>", or "" for everyone; the text)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def at_minutes(day: dt.date, value: float, tz: dt.tzinfo) -> dt.datetime:
    """The aware datetime ``value`` minutes after local midnight of ``day`` (whole seconds)."""
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return midnight + dt.timedelta(seconds=round(value * 60))


def clock(value: int) -> dt.time:
    """Minutes after midnight as a time of day (24:00 becomes 23:59)."""
    value = min(value, 24 * 60 - 1)
    return dt.time(value // 60, value % 60)


def hhmm(value: float) -> str:
    value = int(value)
    return f"{value // 60:02d}:{value % 60:02d}"


def parse_hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def officer_groups(officers: Sequence[OfficerInput]) -> list[list[OfficerInput]]:
    """Officers who share a kelurahan are planned together, so they split its points."""
    parent = list(range(len(officers)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_kel: dict[str, int] = {}
    for i, o in enumerate(officers):
        for k in o.kelurahan:
            if k in first_by_kel:
                parent[find(i)] = find(first_by_kel[k])
            else:
                first_by_kel[k] = i
    groups: dict[int, list[OfficerInput]] = defaultdict(list)
    for i, o in enumerate(officers):
        groups[find(i)].append(o)
    return [groups[r] for r in sorted(groups)]


# --- solving: through the routing library ---------------------------------------------

# A leg into a point an officer may not serve (another kelurahan, a stop locked to a
# partner) takes this long (10 days, in seconds): never within a shift.
UNREACHABLE_SECONDS = 10 * 24 * 3600.0
# Tier bonuses (see ``_tiers``), as multiples of the largest plain prize of the problem.
OVERDUE_BONUS = 1.0
ORDER_BONUS = 3.0


def default_time_limit(n_points: int) -> float:
    """Solver seconds for a group of this size when the caller sets none: a kelurahan's
    handful of points is solved to optimality in a fraction of a second."""
    return min(30.0, 0.2 + 0.02 * n_points)


@functools.cache
def travel_source(mode: str) -> routing.HaversineTravel:
    """The travel-time source of a mode (haversine x detour at the mode's speed, seconds).

    One instance per mode: the routing library computes one matrix (and PyVRP keeps one
    routing profile) per distinct source object, so officers of a mode must share it.
    """
    return routing.HaversineTravel.for_mode(mode)


@dataclass(frozen=True)
class _Restricted:
    """A travel source in which some locations are out of reach (for one officer)."""

    base: routing.HaversineTravel
    forbidden: frozenset[tuple[float, float]]

    def matrix(self, locations):
        m = np.array(self.base.matrix(locations), dtype=np.float64)
        cols = [
            i for i, loc in enumerate(locations) if (float(loc[0]), float(loc[1])) in self.forbidden
        ]
        if cols:
            m[:, cols] = UNREACHABLE_SECONDS
            m[cols, cols] = 0.0
        return m


def _tiers(points: Sequence[PointInput]) -> dict[str, float]:
    """The prize the solver sees: the point's own prize plus a tier bonus.

    Must-visit points are never hard constraints ("where feasible"): the Kapolsek's
    pins and locks and the must-attend events get ``ORDER_BONUS`` x the largest plain
    prize, overdue points ``OVERDUE_BONUS`` x, so each of them outweighs any optional
    point and the solver drops one only when the shifts cannot hold it.
    """
    top = max((p.prize for p in points), default=1.0) or 1.0
    out = {}
    for p in points:
        if p.pinned or p.locked or (p.must_visit and p.reason == "event"):
            bonus = ORDER_BONUS * top
        elif p.must_visit:
            bonus = OVERDUE_BONUS * top
        else:
            bonus = 0.0
        out[p.key] = p.prize + bonus
    return out


def build_problem(
    officers: Sequence[OfficerInput], points: Sequence[PointInput]
) -> routing.Problem:
    """The routing problem of a group: times in seconds after local midnight.

    Officers who share a kelurahan are one problem; a point only some of them may serve
    (its kelurahan, or a stop locked to one of them) is out of reach for the others.
    """
    ids = {o.officer_id for o in officers}
    solver_prize = _tiers(points)
    forbidden: dict[int, set[tuple[float, float]]] = {o.officer_id: set() for o in officers}
    route_points = []
    for p in points:
        if len(officers) > 1:
            allowed = {
                o.officer_id
                for o in officers
                if p.kelurahan in o.kelurahan
                and (p.locked_officer is None or p.locked_officer == o.officer_id)
            }
            for oid in ids - allowed:
                forbidden[oid].add((float(p.lat), float(p.lon)))
        route_points.append(
            routing.Point(
                id=p.key,
                location=(p.lat, p.lon),
                prize=solver_prize[p.key],
                service=p.service_minutes * 60.0,
                windows=tuple(routing.TimeWindow(a * 60.0, b * 60.0) for a, b in p.windows),
            )
        )
    route_officers = []
    for o in officers:
        travel = travel_source(o.mode)
        if forbidden[o.officer_id]:
            travel = _Restricted(travel, frozenset(forbidden[o.officer_id]))
        route_officers.append(
            routing.Officer(
                id=str(o.officer_id),
                start=o.start,
                end=o.end,
                shift_start=o.shift_start * 60.0,
                shift_end=o.shift_end * 60.0,
                travel=travel,
            )
        )
    return routing.Problem(
        officers=tuple(route_officers),
        points=tuple(route_points),
        travel=travel_source("motorbike"),
    )


def read_routes(result: routing.Plan) -> dict[int, list[RoutedStop]]:
    """The routing plan back to stops in order, times in minutes after local midnight."""
    return {
        int(r.officer_id): [
            RoutedStop(
                key=v.point_id,
                sequence=i,
                arrive=v.arrival / 60.0,
                start=v.start / 60.0,
                depart=v.departure / 60.0,
            )
            for i, v in enumerate(r.visits, start=1)
        ]
        for r in result.routes
    }


def check_routes(
    officers: Sequence[OfficerInput],
    points: Sequence[PointInput],
    routes: dict[int, Sequence[str]],
) -> list[str]:
    """The routing library's independent checker on routes (officer id -> point keys):
    the earliest schedule is recomputed from the raw data and every violation listed."""
    problem = build_problem(officers, points)
    report = routing.check(problem, {str(k): list(v) for k, v in routes.items()})
    return [str(v) for v in report.violations]


def solve(
    officers: Sequence[OfficerInput],
    points: Sequence[PointInput],
    *,
    seed: int = 0,
    time_limit: float | None = None,
) -> SolveResult:
    """Route ``officers`` over ``points`` (already restricted to their kelurahan).

    Must-visit points (pinned, locked, must-attend events, then overdue ones) are
    visited where the shifts allow (``_tiers``); those that do not fit are reported in
    ``warnings``. The routing library checks every plan it returns; the result is
    checked once more here, independently of how it was built, and ``feasible`` says
    whether that check passed.
    """
    started = time.perf_counter()
    pts = [p for p in points if not p.removed and not p.done]
    warnings: list[tuple[str, str]] = []
    for p in pts:
        if (
            p.must_visit
            and p.windows
            and not any(
                a <= o.shift_end and b >= o.shift_start for o in officers for a, b in p.windows
            )
        ):
            warnings.append(
                (p.key, f"{p.name}: its time ({_windows_label(p)}) is outside the shift")
            )
    routes: dict[int, list[RoutedStop]] = {o.officer_id: [] for o in officers}
    problems: list[str] = []
    if officers and pts:
        problem = build_problem(officers, pts)
        limit = time_limit if time_limit is not None else default_time_limit(len(pts))
        result = routing.plan(problem, routing.Stop(seconds=limit), seed=seed)
        routes.update(read_routes(result))
        problems = [str(v) for v in routing.check(problem, result).violations]
    by_key = {p.key: p for p in pts}
    prize_planned = {oid: math.fsum(by_key[r.key].prize for r in rs) for oid, rs in routes.items()}
    visited = {r.key for rs in routes.values() for r in rs}
    said = {key for key, _ in warnings}
    why = {"overdue": "overdue", "event": "scheduled event", "pinned": "pinned", "locked": "locked"}
    for p in pts:
        if p.must_visit and p.key not in visited and p.key not in said:
            warnings.append(
                (p.key, f"{p.name} ({why.get(p.reason, p.reason)}) does not fit in the shift")
            )
    return SolveResult(
        routes=routes,
        prize_planned=prize_planned,
        prize_available=math.fsum(p.prize for p in pts),
        seconds=time.perf_counter() - started,
        feasible=not problems,
        check_message="; ".join(problems[:3]),
        warnings=warnings,
    )


def _windows_label(p: PointInput) -> str:
    return ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in p.windows)
