"""Tests of sejuk.analytics.routing (the TOPTW planner) and `sejuk plan solve`.

The library has no Django import; only the command tests need Django settings.
Optima of the tiny instances are proven here by exhaustive dynamic programming
over visited sets, written independently of the solver.
"""

from __future__ import annotations

import json
import math
import os
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from sejuk.analytics.routing import (
    EuclideanTravel,
    HaversineTravel,
    InfeasibleProblemError,
    MatrixTravel,
    Officer,
    Plan,
    Point,
    Problem,
    Route,
    RoutingError,
    Stop,
    TimeWindow,
    ToptwError,
    Visit,
    check,
    plan,
    prize_of,
    read_toptw,
)

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "data" / "routing"
DATA = Path(os.environ.get("SEJUK_DATA_DIR", REPO.parent / "shared" / "data"))
TOPTW = DATA / "toptw" / "instances"


# -- an independent exact solver for tiny problems ---------------------------------


def _earliest(point: Point, arrival: float) -> float | None:
    if not point.windows:
        return arrival
    for w in point.windows:
        if arrival <= w.end:
            return max(arrival, w.start)
    return None


def feasible_sets(problem: Problem, k: int) -> set[int]:
    """Bit masks of the point sets officer ``k`` can visit in some order.

    DP over (visited set, last point) keeping the earliest departure: with waiting
    allowed, leaving earlier never hurts, so this is exact.
    """
    officer = problem.officers[k]
    travel = officer.travel or problem.travel
    pts = problem.points
    locs = [officer.start, officer.end_location] + [p.location for p in pts]
    m = np.asarray(travel.matrix(locs)).tolist()
    n = len(pts)
    best: dict[tuple[int, int], float] = {}
    for j, p in enumerate(pts):
        s = _earliest(p, officer.shift_start + m[0][2 + j])
        if s is not None:
            best[(1 << j, j)] = s + p.service
    for mask in range(1, 1 << n):
        for last in range(n):
            dep = best.get((mask, last))
            if dep is None:
                continue
            for j, p in enumerate(pts):
                if mask >> j & 1:
                    continue
                s = _earliest(p, dep + m[2 + last][2 + j])
                if s is None:
                    continue
                key = (mask | 1 << j, j)
                if s + p.service < best.get(key, math.inf):
                    best[key] = s + p.service
    ok = {0} if officer.shift_start + m[0][1] <= officer.shift_end else set()
    for (mask, last), dep in best.items():
        if dep + m[2 + last][1] <= officer.shift_end:
            ok.add(mask)
    return ok


def brute_force(problem: Problem) -> float:
    """Optimal score by enumerating disjoint feasible sets, one per officer."""
    pts = problem.points
    prize = [p.prize for p in pts]
    must = sum(1 << j for j, p in enumerate(pts) if p.must_visit)

    def value(mask: int) -> float:
        return math.fsum(prize[j] for j in range(len(pts)) if mask >> j & 1)

    unions = {0}
    for k in range(len(problem.officers)):
        sets = feasible_sets(problem, k)
        unions = {u | s for u in unions for s in sets if not u & s}
    candidates = [u for u in unions if u & must == must]
    if not candidates:
        return -math.inf
    return max(value(u) for u in candidates)


# -- tiny instances with proven optima -----------------------------------------------


@pytest.mark.parametrize(("name", "vehicles"), [("tiny7", 1), ("tiny9", 1), ("tiny9", 2)])
def test_it_finds_the_proven_optimum_of_tiny_benchmark_instances(name, vehicles):
    problem = read_toptw(TINY / f"{name}.txt").problem(vehicles)
    optimum = brute_force(problem)
    result = plan(problem, Stop(seconds=1.0), seed=1)
    report = check(problem, result)
    assert report.feasible, report.violations
    assert result.feasible
    assert report.score == pytest.approx(optimum)
    assert result.score == pytest.approx(optimum)
    assert 0 < optimum < problem.max_score  # neither trivial nor everything


def jakarta_problem(must: str | None = None) -> Problem:
    """Two officers of Polsek Johar Baru (one on foot, one on a motorbike), seven points
    around Galur with windows in seconds since midnight, some with two windows."""
    polsek = (-6.1839, 106.8566)
    h = 3600.0

    def point(pid, lat, lon, prize, service_min, *windows):
        return Point(
            id=pid,
            location=(lat, lon),
            prize=prize,
            service=service_min * 60,
            windows=tuple(TimeWindow(a * h, b * h) for a, b in windows),
            must_visit=(pid == must),
        )

    points = (
        point("pasar-galur", -6.1862, 106.8577, prize_of(0.8, 3, 1.0), 20, (8, 10), (15, 17)),
        point("masjid", -6.1880, 106.8610, prize_of(0.5, 2, 1.5), 15, (11.5, 12.5)),
        point("kampanye", -6.1795, 106.8530, prize_of(0.9, 1, 3.0), 30, (14, 15.5)),
        point("sekolah", -6.1905, 106.8540, prize_of(0.3, 5, 1.0), 15, (7, 8.5), (12, 13)),
        point("rw05", -6.1850, 106.8622, prize_of(0.6, 4, 1.0), 25),
        point("stasiun", -6.1760, 106.8450, prize_of(0.7, 2, 1.2), 20, (16, 17.5)),
        point("tpu", -6.1950, 106.8700, prize_of(0.4, 1, 1.0), 10, (9, 9.25)),
        point("pos-ronda", -6.1700, 106.8750, prize_of(0.3, 1, 1.0), 60, (14.5, 14.75)),
    )
    foot = HaversineTravel.for_mode("foot")
    officers = (
        Officer("aiptu-baktiar", polsek, 7.5 * h, 10 * h, travel=foot),
        Officer("bripka-sari", polsek, 14 * h, 16.5 * h),
    )
    return Problem(officers, points, HaversineTravel.for_mode("motorbike"))


def test_it_finds_the_optimum_of_a_jakarta_day_with_two_travel_modes_and_two_windows():
    problem = jakarta_problem()
    optimum = brute_force(problem)
    result = plan(problem, Stop(seconds=1.0), seed=3)
    assert check(problem, result).feasible
    assert result.score == pytest.approx(optimum)
    # The morning officer walks, the afternoon one rides: nobody visits outside a shift.
    for route in result.routes:
        officer = next(o for o in problem.officers if o.id == route.officer_id)
        assert officer.shift_start <= route.departure <= route.return_time <= officer.shift_end


def test_must_visit_points_are_visited_even_when_they_cost_score():
    free = brute_force(jakarta_problem())
    problem = jakarta_problem(must="pos-ronda")
    forced = brute_force(problem)
    assert forced < free  # the constraint really costs something here
    result = plan(problem, Stop(seconds=1.0), seed=0)
    assert "pos-ronda" in [pid for r in result.routes for pid in r.point_ids]
    assert result.score == pytest.approx(forced)


def test_parallel_workers_give_a_checked_optimal_plan():
    problem = read_toptw(TINY / "tiny9.txt").problem(2)
    result = plan(problem, Stop(seconds=2.0, workers=2), seed=5)
    assert check(problem, result).feasible
    assert result.score == pytest.approx(brute_force(problem))


def test_parallel_workers_do_not_need_to_pickle_the_travel_source():
    class Local:  # defined in a function: no child process could unpickle it
        def matrix(self, locations):
            return EuclideanTravel().matrix(locations)

    base = read_toptw(TINY / "tiny9.txt").problem(2)
    problem = Problem(base.officers, base.points, Local())
    result = plan(problem, Stop(seconds=1.5, workers=2), seed=7)
    assert check(problem, result).feasible
    assert result.score == pytest.approx(brute_force(problem))


def test_rounding_never_admits_an_infeasible_visit_nor_loses_a_tight_one():
    # Travel 0 -> A is sqrt(2) (irrational). A window closing exactly at the float
    # arrival is feasible; one closing a hair earlier is not. PyVRP sees rounded
    # integers; the plan must match exact arithmetic both ways.
    depot = (0.0, 0.0)
    arrival = EuclideanTravel().matrix([depot, (1.0, 1.0)])[0, 1]
    for close, expected in ((arrival, 10.0), (np.nextafter(arrival, 0.0), 0.0)):
        problem = Problem(
            officers=(Officer("1", depot, 0.0, 100.0),),
            points=(Point("A", (1.0, 1.0), prize=10.0, windows=(TimeWindow(0.0, close),)),),
            travel=EuclideanTravel(),
        )
        result = plan(problem, Stop(seconds=0.5))
        assert result.score == expected
        assert check(problem, result).feasible


# -- infeasible input ------------------------------------------------------------------


def test_a_must_visit_point_outside_every_shift_is_a_clear_error():
    # The mosque is open 11:30-12:30; the shifts are 7:30-10:00 and 14:00-16:30.
    with pytest.raises(InfeasibleProblemError, match="must-visit point masjid cannot be reached"):
        plan(jakarta_problem(must="masjid"), Stop(seconds=0.5))


def test_an_unreachable_must_visit_point_is_a_clear_error():
    problem = Problem(
        officers=(Officer("1", (0.0, 0.0), 0.0, 100.0),),
        points=(
            Point("far", (60.0, 0.0), prize=5.0, windows=(TimeWindow(0, 50),), must_visit=True),
        ),
        travel=EuclideanTravel(),
    )
    with pytest.raises(InfeasibleProblemError, match="must-visit point far cannot be reached"):
        plan(problem, Stop(seconds=0.5))


def test_must_visits_that_cannot_fit_together_are_a_clear_error():
    officers = (Officer("1", (0.0, 0.0), 0.0, 100.0),)
    points = (
        Point("east", (10.0, 0.0), 1.0, windows=(TimeWindow(40, 40),), must_visit=True),
        Point("west", (-10.0, 0.0), 1.0, windows=(TimeWindow(40, 40),), must_visit=True),
    )
    with pytest.raises(InfeasibleProblemError, match="must-visit"):
        plan(Problem(officers, points, EuclideanTravel()), Stop(seconds=0.5))


def test_an_officer_who_cannot_reach_the_end_location_is_a_clear_error():
    officer = Officer("1", (0.0, 0.0), 0.0, 5.0, end=(10.0, 0.0))
    with pytest.raises(InfeasibleProblemError, match="officer 1 cannot get"):
        plan(Problem((officer,), (), EuclideanTravel()), Stop(seconds=0.5))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TimeWindow(10, 5), "ends"),
        (lambda: Point("a", (0, 0), prize=-1), "prize must be >= 0"),
        (lambda: Point("a", (0, 0), prize=1, service=math.nan), "finite"),
        (lambda: Point("", (0, 0), prize=1), "non-empty"),
        (lambda: Point("a", (0,), prize=1), "pair"),
        (lambda: Officer("o", (0, 0), 10, 5), "shift ends"),
        (lambda: Stop(seconds=0), "> 0"),
        (
            lambda: Problem(
                (Officer("o", (0, 0), 0, 1),),
                (Point("a", (0, 0), 1), Point("a", (1, 1), 1)),
                EuclideanTravel(),
            ),
            "duplicate point id 'a'",
        ),
        (lambda: Problem((), (), EuclideanTravel()), "at least one officer"),
        (lambda: HaversineTravel.for_mode("helicopter"), "unknown travel mode"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(build, message):
    with pytest.raises(RoutingError, match=message):
        build()


# -- the checker -----------------------------------------------------------------------


@pytest.fixture
def line_problem() -> Problem:
    """Points on a line so every time is an exact integer: A at 10, B at 20, C at 30."""
    return Problem(
        officers=(Officer("o1", (0.0, 0.0), 0.0, 100.0), Officer("o2", (0.0, 0.0), 0.0, 100.0)),
        points=(
            Point("A", (10.0, 0.0), prize=3.0, service=5.0, windows=(TimeWindow(0, 50),)),
            Point("B", (20.0, 0.0), prize=4.0, service=5.0, windows=(TimeWindow(30, 40),)),
            Point("C", (30.0, 0.0), prize=5.0, service=0.0, must_visit=True),
        ),
        travel=EuclideanTravel(),
    )


def timed(officer: str, visits: list[tuple[str, float, float, float]], back: float, score: float):
    return Route(officer, tuple(Visit(*v) for v in visits), 0.0, back, score)


def good_plan() -> Plan:
    # A: arrive 10, serve 10-15; B: arrive 25, wait, serve 30-35; C: arrive 45; home 75.
    route = timed("o1", [("A", 10, 10, 15), ("B", 25, 30, 35), ("C", 45, 45, 45)], 75, 12.0)
    return Plan((route, timed("o2", [], 0, 0.0)), 12.0, (), True)


def test_the_checker_accepts_a_correct_plan_and_recomputes_its_score(line_problem):
    report = check(line_problem, good_plan())
    assert report.feasible, report.violations
    assert report.score == 12.0
    assert check(line_problem, {"o1": ["A", "B", "C"], "o2": []}).feasible


@pytest.mark.parametrize(
    ("plan_or_routes", "code"),
    [
        # Claims to start A at 8, but A is 10 away.
        (
            Plan(
                (timed("o1", [("A", 8, 8, 13), ("B", 23, 30, 35), ("C", 45, 45, 45)], 75, 12),),
                12,
                (),
                True,
            ),
            "late-arrival",
        ),
        # Sequence only: C at 30, B at 40 (just in time, leaves 45), A at 55 > 50.
        ({"o1": ["C", "B", "A"]}, "late-arrival"),
        # Starts B at 41, outside its window [30, 40].
        (
            Plan(
                (timed("o1", [("A", 10, 10, 15), ("B", 25, 41, 46), ("C", 56, 56, 56)], 86, 12),),
                12,
                (),
                True,
            ),
            "window-violated",
        ),
        # Home at 75 + 30 > 100.
        (
            Plan(
                (timed("o1", [("A", 10, 10, 15), ("B", 25, 30, 35), ("C", 45, 75, 75)], 105, 12),),
                12,
                (),
                True,
            ),
            "shift-overrun",
        ),
        ({"o1": ["A", "C"], "o2": ["C"]}, "duplicate-visit"),
        ({"o1": ["A", "B"]}, "missing-must-visit"),
        # C is worth 5, the plan says 7.
        (Plan((timed("o1", [("C", 30, 30, 30)], 60, 7.0),), 7.0, (), True), "wrong-score"),
        ({"o1": ["C", "Z"]}, "unknown-point"),
        ({"o9": ["C"]}, "unknown-officer"),
        (
            Plan((timed("o1", [("C", 30, 30, 29)], 60, 5.0),), 5.0, (), True),
            "inconsistent-times",
        ),
    ],
)
def test_the_checker_catches_hand_made_infeasible_plans(line_problem, plan_or_routes, code):
    report = check(line_problem, plan_or_routes)
    assert not report.feasible
    assert code in report.codes(), report.violations
    with pytest.raises(RoutingError, match="infeasible plan"):
        report.raise_if_infeasible()


def test_plans_that_contradict_themselves_cannot_even_be_built():
    route = timed("o1", [("C", 30, 30, 30), ("C", 30, 30, 30)], 60, 10.0)
    with pytest.raises(RoutingError, match="more than once"):
        Plan((route,), 10.0, (), True)
    with pytest.raises(RoutingError, match="not the sum"):
        Plan((timed("o1", [("C", 30, 30, 30)], 60, 5.0),), 9.0, (), True)


# -- travel sources --------------------------------------------------------------------


def test_haversine_travel_times_follow_distance_detour_and_mode():
    locs = [(-6.18, 106.85), (-6.19, 106.85)]  # 1.112 km apart
    foot = HaversineTravel.for_mode("foot").matrix(locs)
    bike = HaversineTravel.for_mode("motorbike").matrix(locs)
    assert foot[0, 1] == pytest.approx(1111.95 * 1.3 / (4.5 / 3.6), rel=1e-4)
    assert foot[0, 1] / bike[0, 1] == pytest.approx(25 / 4.5)
    assert foot[0, 0] == 0.0
    with pytest.raises(RoutingError, match="lat, lon"):
        HaversineTravel().matrix([(106.85, -6.18), (200.0, 0.0)])


def test_a_matrix_travel_source_replaces_the_haversine_one():
    locs = ((0.0, 0.0), (1.0, 0.0), (2.0, 0.0))
    times = np.array([[0, 7, 9], [7, 0, 4], [9, 4, 0]], dtype=float)
    source = MatrixTravel(locs, times)
    assert source.matrix([locs[2], locs[0]]).tolist() == [[0, 9], [9, 0]]
    with pytest.raises(RoutingError, match="not in the travel matrix"):
        source.matrix([(5.0, 5.0)])
    problem = Problem(
        (Officer("o", locs[0], 0.0, 20.0),),
        (Point("x", locs[1], 1.0), Point("y", locs[2], 2.0)),
        source,
    )
    result = plan(problem, Stop(seconds=0.5))
    # 0 -> x -> y -> 0 takes 7 + 4 + 9 = 20: both fit exactly.
    assert result.score == 3.0
    assert check(problem, result).feasible


# -- the benchmark format --------------------------------------------------------------


def test_the_parser_reads_every_real_benchmark_file():
    files = sorted(TOPTW.glob("*.txt"))
    assert len(files) == 64
    for path in files:
        instance = read_toptw(path)
        header = path.read_text().split()
        assert len(instance.points) == int(header[2]), path.name
        assert instance.horizon > 0
    c101 = read_toptw(TOPTW / "c101.txt")
    assert c101.depot == (40.0, 50.0) and c101.horizon == 1236
    first = c101.points[0]
    assert (first.id, first.location, first.service, first.prize) == ("1", (45.0, 68.0), 90, 10)
    assert first.windows == (TimeWindow(912, 967),)
    assert c101.upper_bound == 1810
    pr01 = read_toptw(TOPTW / "pr01.txt")  # lines with a list of 4 items
    assert len(pr01.points) == 48 and pr01.points[-1].windows == (TimeWindow(98, 233),)


BAD_FILES = [
    (
        "4 10 2 1\n0 200\n0 0 0 0 0 0 0 0 100\n1 5 5\n2 1 1 1 1 1 1 1 0 9\n",
        "line 4: expected at least 9 numbers (i x y d S f a O C), got 3",
    ),
    (
        "4 10 2 1\n0 200\n0 0 0 0 0 0 0 0 100\n1 5 5 1 1 1 1 1 0 9\n",
        "expected 3 vertex lines (N = 2 on line 1, plus the depot), found 2",
    ),
    ("4 10 1 1\n0 200\n0 0 0 0 0 0 0 0 100\n1 5 x 1 1 1 1 1 0 9\n", "line 4: 'x' is not a number"),
    (
        "4 10 1 1\n0 200\n0 0 0 0 0 0 0 0 100\n1 5 5 1 1 1 2 1 0 9\n",
        "line 4: a = 2 announces 2 list items, so 11 numbers are expected, got 10",
    ),
    (
        "4 10 1 1\n0 200\n0 0 0 0 0 0 0 0 100\n2 5 5 1 1 1 1 1 0 9\n",
        "line 4: expected vertex 1, got 2",
    ),
    (
        "4 10 1 1\n0 200\n0 0 0 0 0 0 0 0 100\n1 5 5 1 1 1 1 1 9 3\n",
        "line 4: the window opens at 9 after it closes at 3",
    ),
    ("4 10\n0 200\n0 0 0 0 0 0 0 0 100\n", "line 1: expected 'k v N t', got 2 numbers"),
    ("", "expected a header"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_instance_files_get_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ToptwError) as err:
        read_toptw(path)
    assert message in str(err.value)
    assert str(err.value).startswith("bad.txt: ")


# -- the command -----------------------------------------------------------------------


def run_command(*args: str) -> dict:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("plan", "solve", *args, stdout=out)
    return json.loads(out.getvalue())


def test_sejuk_plan_solve_prints_a_checked_plan_for_a_real_instance():
    out = run_command(
        "--instance",
        str(TOPTW / "c101.txt"),
        "--vehicles",
        "2",
        "--seconds",
        "2",
        "--workers",
        "1",
    )
    assert out["feasible"] is True
    assert len(out["routes"]) == 2
    problem = read_toptw(TOPTW / "c101.txt").problem(2)
    routes = {str(k + 1): [str(p) for p in r] for k, r in enumerate(out["routes"])}
    report = check(problem, routes)
    assert report.feasible and report.score == out["score"]
    # One tour alone reaches the proven optimum 320 in well under a second; two do better.
    assert out["score"] > 320


def test_sejuk_plan_solve_reaches_the_proven_optimum_of_c101():
    out = run_command("--instance", str(TOPTW / "c101.txt"), "--vehicles", "1", "--seconds", "2")
    assert out["score"] == 320


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vehicles", "0"], "expected a number >= 1, got 0"),
        (["--vehicles", "two"], "expected a whole number, got 'two'"),
        (["--vehicles", "1", "--seconds", "0"], "--seconds must be > 0"),
        (["--vehicles", "1", "--seed", "-1"], "--seed must be >= 0"),
    ],
)
def test_sejuk_plan_solve_rejects_bad_arguments(args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        run_command("--instance", str(TOPTW / "c101.txt"), *args)


def test_sejuk_plan_solve_reports_the_line_of_a_bad_file(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "broken.txt"
    path.write_text(BAD_FILES[0][0])
    with pytest.raises(CommandError, match="broken.txt: line 4: expected at least 9 numbers"):
        run_command("--instance", str(path), "--vehicles", "1")


def test_routes_of_identical_officers_are_independent_of_their_order():
    # Sanity of the vehicle-type grouping: swapping officer ids keeps the plan valid.
    problem = read_toptw(TINY / "tiny9.txt").problem(2)
    swapped = Problem(tuple(reversed(problem.officers)), problem.points, problem.travel)
    result = plan(swapped, Stop(seconds=0.5), seed=2)
    assert check(swapped, result).feasible
    assert [r.officer_id for r in result.routes] == ["2", "1"]


def test_prize_of_multiplies_and_validates():
    assert prize_of(0.5, 4, 1.5) == 3.0
    with pytest.raises(RoutingError):
        prize_of(-1, 1)


def test_every_subset_counted_by_the_brute_force_is_really_feasible():
    # Guards the oracle itself: every set it calls feasible has an order the
    # checker accepts.
    problem = read_toptw(TINY / "tiny7.txt").problem(1)
    ids = [p.id for p in problem.points]
    sets = feasible_sets(problem, 0)
    from itertools import permutations

    for mask in sets:
        members = [ids[j] for j in range(len(ids)) if mask >> j & 1]
        assert any(check(problem, {"1": list(order)}).feasible for order in permutations(members))
    # And the largest infeasible-looking sets really are infeasible.
    largest = max(bin(m).count("1") for m in sets)
    for combo in combinations(range(len(ids)), largest + 1):
        members = [ids[j] for j in combo]
        assert not any(check(problem, {"1": list(o)}).feasible for o in permutations(members))
