"""Events placed in a study area, and the interface every forecast model follows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from .errors import ForecastError
from .events import Events
from .grid import StudyArea

__all__ = ["CellEvents", "Forecaster", "top_cells"]


@dataclass(frozen=True)
class CellEvents:
    """Events as (day, cell index) pairs in a study area, sorted by day.

    Parameters
    ----------
    area : StudyArea
    day : ndarray of int64
        Calendar day (days since 1970-01-01), non-decreasing.
    cell : ndarray of int64
        Index of the event's cell in ``area``, or -1 when it lies outside.
    """

    area: StudyArea
    day: np.ndarray
    cell: np.ndarray

    def __post_init__(self) -> None:
        day = np.asarray(self.day, dtype=np.int64).reshape(-1)
        cell = np.asarray(self.cell, dtype=np.int64).reshape(-1)
        if len(day) != len(cell):
            raise ForecastError(f"day and cell differ in length ({len(day)}, {len(cell)})")
        if len(day) > 1 and (np.diff(day) < 0).any():
            raise ForecastError("events must be sorted by day")
        if len(cell) and (cell.max() >= self.area.n_cells or cell.min() < -1):
            raise ForecastError("cell indices must be -1 or in 0..n_cells-1")
        day.setflags(write=False)
        cell.setflags(write=False)
        object.__setattr__(self, "day", day)
        object.__setattr__(self, "cell", cell)

    @classmethod
    def from_events(cls, area: StudyArea, events: Events) -> CellEvents:
        """Place ``events`` in the cells of ``area`` (sorted by time)."""
        order = np.argsort(events.time, kind="stable")
        keys = area.grid.keys(events.lon[order], events.lat[order])
        cell = np.where(keys >= 0, area.index(keys), -1)
        return cls(area, events.day[order], cell)

    def __len__(self) -> int:
        return len(self.day)

    def span(self, lo: int, hi: int) -> slice:
        """Slice of the events on days ``lo <= day < hi``."""
        a, b = np.searchsorted(self.day, [lo, hi])
        return slice(int(a), int(b))

    def day_bounds(self, lo: int, hi: int) -> np.ndarray:
        """Offsets such that the events of day ``lo + i`` are ``[b[i], b[i+1])``."""
        return np.searchsorted(self.day, np.arange(lo, hi + 1)).astype(np.int64)


def top_cells(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores; ties at the threshold go to the lowest index.

    The study area's cells are sorted by key, so ties are broken by cell key:
    deterministic, independent of the platform's sort.
    """
    n = len(scores)
    if k >= n:
        return np.arange(n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    threshold = np.partition(scores, n - k)[n - k]
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: k - len(above)]
    return np.concatenate([above, ties])


class Forecaster(ABC):
    """A model that ranks the cells of a study area by expected events.

    Protocol: :meth:`fit` learns from the events *before* ``as_of`` and leaves
    the model's clock at ``as_of``; :meth:`predict` scores the days
    ``[now_, now_ + horizon_days)``; :meth:`observe` adds the events of day
    ``now_`` and moves the clock one day on. Scores only need to rank cells.
    """

    name: ClassVar[str]

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters (the ``__init__`` arguments) as a dict."""
        return {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def fit(self, history: CellEvents, as_of: int) -> Self:
        """Learn from the events of ``history`` on days before ``as_of``."""

    @abstractmethod
    def observe(self, cells: np.ndarray) -> None:
        """Add the events of day ``now_`` (cell indices, -1 ignored); the clock moves one day."""

    @abstractmethod
    def predict(self, horizon_days: int = 1) -> np.ndarray:
        """Scores of the study-area cells for the days ``[now_, now_ + horizon_days)``."""

    # Helpers shared by the models.

    def _start(self, history: CellEvents, as_of: int) -> tuple[np.ndarray, np.ndarray]:
        """Common part of ``fit``: the days and cells (inside the area) before ``as_of``."""
        self.area_ = history.area
        self.n_cells_ = history.area.n_cells
        self.now_ = int(as_of)
        past = history.span(np.iinfo(np.int64).min, as_of)
        day, cell = history.day[past], history.cell[past]
        inside = cell >= 0
        return day[inside], cell[inside]

    def _counts(self, cells: np.ndarray) -> np.ndarray:
        cells = np.asarray(cells, dtype=np.int64)
        return np.bincount(cells[cells >= 0], minlength=self.n_cells_).astype(np.float64)

    def _check_fitted(self) -> None:
        if not hasattr(self, "now_"):
            raise ForecastError(f"{type(self).__name__} is not fitted; call fit() first")
