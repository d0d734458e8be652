"""Reader of the standard OPTW/TOPTW benchmark format (Montemanni & Gambardella).

Layout (``TOPTW_format.txt`` in the data directory)::

    k v N t                      line 1: only N (number of points besides the depot) is used
    D Q                          line 2: ignored (D is missing in some files)
    i x y d S f a <a items> O C  N + 1 lines: vertex i at (x, y), service d, profit S,
                                 a list of a items (ignored), window [O, C] for the START
                                 of service

Vertex 0 is the depot: its window ``[O, C]`` is the shift, ``C`` the time budget
Tmax of every tour. The number of tours m is a parameter of the run, not of the
file. Travel time is the exact Euclidean distance (:class:`EuclideanTravel`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .model import Officer, Point, Problem, RoutingError, TimeWindow
from .travel import EuclideanTravel

__all__ = ["ToptwError", "ToptwInstance", "read_toptw"]


class ToptwError(RoutingError):
    """A benchmark file that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class ToptwInstance:
    """A parsed benchmark instance.

    ``points`` are the customers (vertex numbers as string ids), ``depot`` the
    depot's coordinates and ``[opens, horizon]`` its window, i.e. the shift.
    """

    name: str
    depot: tuple[float, float]
    opens: float
    horizon: float
    points: tuple[Point, ...]

    def problem(self, vehicles: int) -> Problem:
        """The planning problem with ``vehicles`` identical tours ("1".."m") from the depot."""
        if not isinstance(vehicles, int) or vehicles < 1:
            raise RoutingError(f"vehicles must be a positive integer, got {vehicles!r}")
        officers = tuple(
            Officer(id=str(k + 1), start=self.depot, shift_start=self.opens, shift_end=self.horizon)
            for k in range(vehicles)
        )
        return Problem(officers=officers, points=self.points, travel=EuclideanTravel())

    @property
    def upper_bound(self) -> float:
        """Sum of all profits: what a plan visiting every point would score."""
        return math.fsum(p.prize for p in self.points)


def _numbers(text: str, lineno: int, where: str) -> list[float]:
    values: list[float] = []
    for token in text.split():
        try:
            value = float(token)
        except ValueError:
            raise ToptwError(f"{where}line {lineno}: {token!r} is not a number") from None
        if not math.isfinite(value):
            raise ToptwError(f"{where}line {lineno}: {token!r} is not a finite number")
        values.append(value)
    return values


def read_toptw(path: str | Path) -> ToptwInstance:
    """Read one benchmark file.

    Parameters
    ----------
    path : str or pathlib.Path
        The instance file, e.g. ``$SEJUK_DATA_DIR/toptw/instances/c101.txt``.

    Returns
    -------
    ToptwInstance

    Raises
    ------
    ToptwError
        When the file cannot be read or breaks the format; the message starts
        with the file name and line number.
    """
    path = Path(path)
    where = f"{path.name}: "
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ToptwError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToptwError(f"{path}: cannot read the file ({exc})") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) < 3:
        raise ToptwError(
            f"{where}expected a header, a second line and the depot, got {len(lines)} lines"
        )
    lineno, header = lines[0]
    head = _numbers(header, lineno, where)
    if len(head) < 3:
        raise ToptwError(f"{where}line {lineno}: expected 'k v N t', got {len(head)} numbers")
    n_points = head[2]
    if n_points != int(n_points) or n_points < 0:
        raise ToptwError(
            f"{where}line {lineno}: N must be a non-negative integer, got {n_points:g}"
        )
    expected = int(n_points) + 1
    body = lines[2:]
    if len(body) != expected:
        raise ToptwError(
            f"{where}expected {expected} vertex lines (N = {int(n_points)} on line {lineno}, "
            f"plus the depot), found {len(body)}"
        )
    depot: tuple[float, float] = (0.0, 0.0)
    opens = horizon = 0.0
    points: list[Point] = []
    for index, (lineno, line) in enumerate(body):
        values = _numbers(line, lineno, where)
        if len(values) < 9:
            raise ToptwError(
                f"{where}line {lineno}: expected at least 9 numbers "
                f"(i x y d S f a O C), got {len(values)}"
            )
        vertex, x, y, service, profit, _f, a = values[:7]
        if vertex != index:
            raise ToptwError(f"{where}line {lineno}: expected vertex {index}, got {vertex:g}")
        if a != int(a) or a < 0:
            raise ToptwError(f"{where}line {lineno}: a must be a non-negative integer, got {a:g}")
        if len(values) != 9 + int(a):
            raise ToptwError(
                f"{where}line {lineno}: a = {int(a)} announces {int(a)} list items, so "
                f"{9 + int(a)} numbers are expected, got {len(values)}"
            )
        open_, close = values[-2], values[-1]
        if close < open_:
            raise ToptwError(
                f"{where}line {lineno}: the window opens at {open_:g} after it closes at {close:g}"
            )
        if service < 0 or profit < 0:
            raise ToptwError(f"{where}line {lineno}: service and profit must be >= 0")
        if index == 0:
            depot, opens, horizon = (x, y), open_, close
            continue
        points.append(
            Point(
                id=str(index),
                location=(x, y),
                prize=profit,
                service=service,
                windows=(TimeWindow(open_, close),),
            )
        )
    return ToptwInstance(
        name=path.stem, depot=depot, opens=opens, horizon=horizon, points=tuple(points)
    )
