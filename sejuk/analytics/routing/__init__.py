"""Patrol routing: the team orienteering problem with time windows (TOPTW).

Officers with shifts start and end at a Polsek or post; points (titik rawan,
rallies, markets) have a prize (risk x staleness x category weight), a service
time and one or more time windows; some must be visited. :func:`plan` chooses
which points each officer visits and in what order so that the total prize is
as large as possible, with PyVRP doing the search. No Django imports.

Public API
----------
plan(problem, stop, seed) -> Plan
    The one entry point.
Problem, Officer, Point, TimeWindow, Stop
    Inputs (dataclasses that validate themselves). Times are seconds.
Plan, Route, Visit
    Output.
check(problem, plan) -> CheckReport
    The independent feasibility checker, run on every plan :func:`plan` returns.
TravelTimes, HaversineTravel, EuclideanTravel, MatrixTravel
    Travel-time sources (a Protocol and three implementations).
read_toptw(path) -> ToptwInstance
    Reader of the OPTW/TOPTW benchmark files.
prize_of(risk, staleness, category_weight)
    The prize formula.
RoutingError, InfeasibleProblemError, ToptwError
    Errors (all subclass :class:`ValueError`).
"""

from __future__ import annotations

from .checker import CheckReport, Violation, check
from .model import (
    InfeasibleProblemError,
    Location,
    Officer,
    Plan,
    Point,
    Problem,
    Route,
    RoutingError,
    Stop,
    TimeWindow,
    Visit,
    prize_of,
)
from .solver import plan
from .toptw import ToptwError, ToptwInstance, read_toptw
from .travel import MODE_SPEEDS_KMH, EuclideanTravel, HaversineTravel, MatrixTravel, TravelTimes

__all__ = [
    "MODE_SPEEDS_KMH",
    "CheckReport",
    "EuclideanTravel",
    "HaversineTravel",
    "InfeasibleProblemError",
    "Location",
    "MatrixTravel",
    "Officer",
    "Plan",
    "Point",
    "Problem",
    "Route",
    "RoutingError",
    "Stop",
    "TimeWindow",
    "ToptwError",
    "ToptwInstance",
    "TravelTimes",
    "Violation",
    "Visit",
    "check",
    "plan",
    "prize_of",
    "read_toptw",
]
