"""Input and output data of the planner: dataclasses that validate themselves.

Times are plain floats in **seconds**. The platform uses seconds since local
midnight of the plan's day (Asia/Jakarta), so 14:00 is ``50400.0``; the library
itself only needs every time and every travel duration to use the same clock and
unit (the TOPTW benchmark uses its own dimensionless units). Identifiers are
strings. Locations are ``(lat, lon)`` pairs in degrees for :class:`HaversineTravel`,
or planar ``(x, y)`` pairs for :class:`EuclideanTravel`; the library never looks
inside them except through the travel source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .travel import TravelTimes

__all__ = [
    "InfeasibleProblemError",
    "Location",
    "Officer",
    "Plan",
    "Point",
    "Problem",
    "Route",
    "RoutingError",
    "Stop",
    "TimeWindow",
    "Visit",
    "prize_of",
]

#: A place: ``(lat, lon)`` in degrees, or planar ``(x, y)``, as the travel source expects.
Location = tuple[float, float]


class RoutingError(ValueError):
    """Input the planner cannot use (bad values, unknown ids, bad files)."""


class InfeasibleProblemError(RoutingError):
    """The input is well formed but no plan can satisfy it (e.g. an unreachable must-visit)."""


def _finite(value: float, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RoutingError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise RoutingError(f"{what} must be finite, got {value!r}")
    return number


def _location(value: Sequence[float], what: str) -> Location:
    if isinstance(value, str) or len(value) != 2:
        raise RoutingError(f"{what} must be a pair of numbers, got {value!r}")
    return (_finite(value[0], f"{what}[0]"), _finite(value[1], f"{what}[1]"))


def _ident(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RoutingError(f"{what} must be a non-empty string, got {value!r}")
    return value


def prize_of(risk: float, staleness: float, category_weight: float = 1.0) -> float:
    """The prize of a point: ``risk x staleness x category weight``.

    Parameters
    ----------
    risk : float
        Risk of the point, >= 0 (e.g. the kelurahan risk index scaled to 0..1).
    staleness : float
        How overdue a visit is, >= 0 (e.g. days since the last visit, capped).
    category_weight : float, default 1.0
        Weight of the point's category (a rally counts more than a market).

    Returns
    -------
    float
        The product, which :class:`Point` takes as ``prize``.
    """
    values = [_finite(risk, "risk"), _finite(staleness, "staleness")]
    values.append(_finite(category_weight, "category_weight"))
    if min(values) < 0:
        raise RoutingError(f"risk, staleness and category weight must be >= 0, got {values}")
    return values[0] * values[1] * values[2]


@dataclass(frozen=True)
class TimeWindow:
    """When service at a point may **start**: ``start <= service start <= end``.

    As in the TOPTW benchmark, the window bounds the start of service, not its
    end: a rally open 14:00-16:00 with a 30-minute visit is ``TimeWindow(14h, 15h30)``
    if the visit must end by 16:00.
    """

    start: float
    end: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _finite(self.start, "window start"))
        object.__setattr__(self, "end", _finite(self.end, "window end"))
        if self.end < self.start:
            raise RoutingError(f"time window ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Point:
    """A place worth visiting (a titik rawan, a rally, a market).

    Parameters
    ----------
    id : str
        Unique among the problem's points.
    location : Location
        Where it is, in the travel source's coordinates.
    prize : float
        What a visit is worth (see :func:`prize_of`), >= 0. Collected once.
    service : float
        Seconds spent there, >= 0.
    windows : tuple of TimeWindow
        When the visit may start. Empty means any time within the shift. With
        several windows (a rally in the morning and again in the afternoon) any
        one of them will do; the point still counts once.
    must_visit : bool
        If True, every plan must visit it; :func:`plan` raises
        :class:`InfeasibleProblemError` when no officer can.
    """

    id: str
    location: Location
    prize: float
    service: float = 0.0
    windows: tuple[TimeWindow, ...] = ()
    must_visit: bool = False

    def __post_init__(self) -> None:
        _ident(self.id, "point id")
        object.__setattr__(self, "location", _location(self.location, f"point {self.id} location"))
        prize = _finite(self.prize, f"point {self.id} prize")
        service = _finite(self.service, f"point {self.id} service")
        if prize < 0:
            raise RoutingError(f"point {self.id}: prize must be >= 0, got {prize}")
        if service < 0:
            raise RoutingError(f"point {self.id}: service must be >= 0, got {service}")
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "service", service)
        windows = tuple(self.windows)
        if not all(isinstance(w, TimeWindow) for w in windows):
            raise RoutingError(f"point {self.id}: windows must be TimeWindow objects")
        # Sorted windows let the scheduler take the first one that is still open.
        object.__setattr__(self, "windows", tuple(sorted(windows, key=lambda w: (w.start, w.end))))
        object.__setattr__(self, "must_visit", bool(self.must_visit))


@dataclass(frozen=True)
class Officer:
    """One officer's shift: leaves ``start`` at ``shift_start`` at the earliest, is back
    at ``end`` (default: ``start``, the Polsek or post) by ``shift_end``.

    ``travel`` overrides the problem's travel source for this officer (one on foot,
    another on a motorbike).
    """

    id: str
    start: Location
    shift_start: float
    shift_end: float
    end: Location | None = None
    travel: TravelTimes | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _ident(self.id, "officer id")
        object.__setattr__(self, "start", _location(self.start, f"officer {self.id} start"))
        end = self.start if self.end is None else self.end
        object.__setattr__(self, "end", _location(end, f"officer {self.id} end"))
        object.__setattr__(self, "shift_start", _finite(self.shift_start, "shift_start"))
        object.__setattr__(self, "shift_end", _finite(self.shift_end, "shift_end"))
        if self.shift_end < self.shift_start:
            raise RoutingError(
                f"officer {self.id}: shift ends ({self.shift_end}) before it starts "
                f"({self.shift_start})"
            )

    @property
    def end_location(self) -> Location:
        """Where the shift ends (never None after validation)."""
        assert self.end is not None
        return self.end


@dataclass(frozen=True)
class Problem:
    """A day's planning problem: officers, points and how long travel takes.

    ``travel`` gives the travel time in seconds between any two locations (see
    :mod:`sejuk.analytics.routing.travel`); officers may override it.
    """

    officers: tuple[Officer, ...]
    points: tuple[Point, ...]
    travel: TravelTimes

    def __post_init__(self) -> None:
        officers, points = tuple(self.officers), tuple(self.points)
        object.__setattr__(self, "officers", officers)
        object.__setattr__(self, "points", points)
        if not officers:
            raise RoutingError("a problem needs at least one officer")
        if not all(isinstance(o, Officer) for o in officers):
            raise RoutingError("officers must be Officer objects")
        if not all(isinstance(p, Point) for p in points):
            raise RoutingError("points must be Point objects")
        for kind, ids in (("officer", [o.id for o in officers]), ("point", [p.id for p in points])):
            seen: set[str] = set()
            for ident in ids:
                if ident in seen:
                    raise RoutingError(f"duplicate {kind} id {ident!r}")
                seen.add(ident)
        if not hasattr(self.travel, "matrix"):
            raise RoutingError("travel must provide matrix(locations) (see TravelTimes)")

    def point(self, point_id: str) -> Point:
        """The point with this id (KeyError if unknown)."""
        return self._points_by_id()[point_id]

    def _points_by_id(self) -> dict[str, Point]:
        cache = self.__dict__.get("_by_id")
        if cache is None:
            cache = {p.id: p for p in self.points}
            object.__setattr__(self, "_by_id", cache)
        return cache

    @property
    def max_score(self) -> float:
        """Sum of all prizes: an upper bound on any plan's score."""
        return math.fsum(p.prize for p in self.points)


@dataclass(frozen=True)
class Visit:
    """One stop of a route: arrival, start of service (after any wait), departure."""

    point_id: str
    arrival: float
    start: float
    departure: float

    def __post_init__(self) -> None:
        _ident(self.point_id, "visit point id")
        for name in ("arrival", "start", "departure"):
            object.__setattr__(self, name, _finite(getattr(self, name), f"visit {name}"))

    @property
    def wait(self) -> float:
        """Seconds spent waiting for the window to open."""
        return self.start - self.arrival


@dataclass(frozen=True)
class Route:
    """One officer's day: leave at ``departure``, the visits in order, back at ``return_time``."""

    officer_id: str
    visits: tuple[Visit, ...]
    departure: float
    return_time: float
    score: float

    def __post_init__(self) -> None:
        _ident(self.officer_id, "route officer id")
        object.__setattr__(self, "visits", tuple(self.visits))
        if self.return_time < self.departure:
            raise RoutingError(f"route of {self.officer_id} returns before it departs")

    @property
    def point_ids(self) -> list[str]:
        """The visited point ids in order."""
        return [v.point_id for v in self.visits]


@dataclass(frozen=True)
class Plan:
    """The planner's answer: one route per officer (possibly empty), in problem order.

    ``score`` is the sum of the prizes collected; ``unvisited`` lists the points no
    route visits. ``feasible`` is True only when the independent checker
    (:func:`sejuk.analytics.routing.check`) accepted the plan.
    """

    routes: tuple[Route, ...]
    score: float
    unvisited: tuple[str, ...]
    feasible: bool
    seed: int = 0
    runtime: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "unvisited", tuple(self.unvisited))
        seen: set[str] = set()
        for route in self.routes:
            for pid in route.point_ids:
                if pid in seen:
                    raise RoutingError(f"plan visits point {pid!r} more than once")
                seen.add(pid)
        if seen.intersection(self.unvisited):
            raise RoutingError("a point is both visited and listed as unvisited")
        if abs(self.score - math.fsum(r.score for r in self.routes)) > 1e-6 * max(1.0, self.score):
            raise RoutingError("plan score is not the sum of its route scores")

    def route_of(self, officer_id: str) -> Route:
        """The route of one officer (KeyError if unknown)."""
        for route in self.routes:
            if route.officer_id == officer_id:
                return route
        raise KeyError(officer_id)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: score, feasible, routes with their visits."""
        return {
            "score": self.score,
            "feasible": self.feasible,
            "routes": [
                {
                    "officer": r.officer_id,
                    "departure": r.departure,
                    "return": r.return_time,
                    "score": r.score,
                    "visits": [
                        {
                            "point": v.point_id,
                            "arrival": v.arrival,
                            "start": v.start,
                            "departure": v.departure,
                        }
                        for v in r.visits
                    ],
                }
                for r in self.routes
            ],
            "unvisited": list(self.unvisited),
        }


@dataclass(frozen=True)
class Stop:
    """When to stop searching: a wall-clock budget in seconds for the whole call.

    ``workers`` independent searches (different seeds) run in parallel processes
    within that budget; the best plan wins. One worker runs in-process.
    """

    seconds: float = 10.0
    workers: int = 1

    def __post_init__(self) -> None:
        seconds = _finite(self.seconds, "stop seconds")
        if seconds <= 0:
            raise RoutingError(f"stop seconds must be > 0, got {seconds}")
        object.__setattr__(self, "seconds", seconds)
        if not isinstance(self.workers, int) or self.workers < 1:
            raise RoutingError(f"workers must be a positive integer, got {self.workers!r}")
