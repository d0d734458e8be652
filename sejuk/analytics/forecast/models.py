"""Baseline forecast models: long-run counts, decayed counts, KDE, prospective hotspotting."""

from __future__ import annotations

from collections import deque
from typing import Self

import numpy as np
import scipy.sparse as sp

from .base import CellEvents, Forecaster
from .errors import ForecastError

__all__ = ["DecayedCounts", "KernelDensity", "LongRunCounts", "ProspectiveHotspot"]


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and value > 0 and np.isfinite(value)):
        raise ForecastError(f"{name} must be a positive number, got {value!r}")
    return float(value)


class LongRunCounts(Forecaster):
    """All-history counts: a cell's score is the number of events it ever had.

    The standard baseline of hotspot forecasting ("long-run counts are hard to
    beat"). Scores are the same whatever the horizon.

    Attributes
    ----------
    counts_ : ndarray
        Events per cell up to the model's clock.
    """

    name = "counts"

    def fit(self, history: CellEvents, as_of: int) -> Self:
        _, cell = self._start(history, as_of)
        self.counts_ = np.bincount(cell, minlength=self.n_cells_).astype(np.float64)
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        self.counts_ += self._counts(cells)
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        return self.counts_.copy()


class DecayedCounts(Forecaster):
    """Exponentially weighted counts: an event ``a`` days old weighs ``0.5 ** (a / half_life_days)``.

    Parameters
    ----------
    half_life_days : float, default 365
        Age at which an event counts half. One year was the best of
        {30, 90, 365, 730, 1460} days on Chicago 2018 (fitted on 2010-2017), and
        close to the best on Cincinnati; see docs/forecast.md.
    """

    name = "decay"

    def __init__(self, half_life_days: float = 365.0) -> None:
        self.half_life_days = half_life_days

    def fit(self, history: CellEvents, as_of: int) -> Self:
        half = _positive("half_life_days", self.half_life_days)
        day, cell = self._start(history, as_of)
        self.decay_ = 0.5 ** (1.0 / half)
        # Weights relative to the clock; fine in float64 for any realistic history.
        weights = self.decay_ ** (as_of - 1 - day).astype(np.float64)
        self.state_ = np.bincount(cell, weights=weights, minlength=self.n_cells_)
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        self.state_ = self.state_ * self.decay_ + self._counts(cells)
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        return self.state_.copy()


class _Window:
    """Daily event cells of the last ``days`` days, with running per-cell totals."""

    def __init__(self, n_cells: int, days: int) -> None:
        self.days = days
        self.n_cells = n_cells
        self.queue: deque[np.ndarray] = deque()
        self.total = np.zeros(n_cells)

    def push(self, cells: np.ndarray) -> None:
        cells = np.asarray(cells, dtype=np.int64)
        cells = cells[cells >= 0]
        self.queue.append(cells)
        np.add.at(self.total, cells, 1.0)
        if len(self.queue) > self.days:
            old = self.queue.popleft()
            np.add.at(self.total, old, -1.0)

    def load(self, day: np.ndarray, cell: np.ndarray, as_of: int) -> None:
        # Start at the first event when the window reaches further back: the
        # days before it are empty, and a huge ``days`` must not allocate them.
        first = int(day[0]) if len(day) else as_of
        start = min(as_of, max(as_of - self.days, first))
        bounds = np.searchsorted(day, np.arange(start, as_of + 1))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            self.push(cell[a:b])

    def recent(self, lo: int, hi: int) -> np.ndarray:
        """Counts of the days ``lo..hi-1`` days ago (0 = the most recent day)."""
        out = np.zeros(self.n_cells)
        n = len(self.queue)
        for back in range(lo, min(hi, n)):
            np.add.at(out, self.queue[n - 1 - back], 1.0)
        return out


class KernelDensity(Forecaster):
    """Gaussian kernel density of the events of the last ``window_days`` days.

    Events are binned to their cell; the density is evaluated at cell centres
    with a Gaussian kernel of standard deviation ``bandwidth_m`` (cut at
    ``4 * bandwidth_m``).

    Parameters
    ----------
    bandwidth_m : float, default 400
        Kernel bandwidth in metres. 400 m reproduces the published Chicago
        anchor (HR 0.206 for KDE over the last 365 days, 250 m cells, 5%).
    window_days : int, default 365
    """

    name = "kde"

    def __init__(self, bandwidth_m: float = 400.0, window_days: int = 365) -> None:
        self.bandwidth_m = bandwidth_m
        self.window_days = window_days

    def fit(self, history: CellEvents, as_of: int) -> Self:
        sigma = _positive("bandwidth_m", self.bandwidth_m)
        window = int(_positive("window_days", self.window_days))
        day, cell = self._start(history, as_of)
        i, j, dist = history.area.pairs_within(4.0 * sigma)
        weight = np.exp(-0.5 * (dist / sigma) ** 2)
        n = self.n_cells_
        self.kernel_ = sp.csr_matrix((weight, (i, j)), shape=(n, n))
        self.window_ = _Window(n, window)
        self.window_.load(day, cell, as_of)
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        self.window_.push(cells)
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        return self.kernel_ @ self.window_.total


class ProspectiveHotspot(Forecaster):
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    An event ``w`` whole weeks old (``w < weeks``) in a cell ``b`` cell widths
    away (``b`` = centre distance / cell spacing, rounded; within
    ``radius_m``) adds ``1 / (1 + w) * 1 / (1 + b)`` to a cell's score.

    Parameters
    ----------
    radius_m : float, default 500
        Spatial bandwidth (two 250 m cells). Bowers et al. used 400 m with
        50 m cells; 500 m reproduces the published Chicago anchor (HR 0.201
        with 250 m cells, 8 weeks, 5%).
    weeks : int, default 8
    """

    name = "hotspot"

    def __init__(self, radius_m: float = 500.0, weeks: int = 8) -> None:
        self.radius_m = radius_m
        self.weeks = weeks

    def fit(self, history: CellEvents, as_of: int) -> Self:
        radius = _positive("radius_m", self.radius_m)
        weeks = int(_positive("weeks", self.weeks))
        day, cell = self._start(history, as_of)
        i, j, dist = history.area.pairs_within(radius)
        band = np.rint(dist / history.area.grid.spacing_m)
        n = self.n_cells_
        self.kernel_ = sp.csr_matrix((1.0 / (1.0 + band), (i, j)), shape=(n, n))
        self.window_ = _Window(n, 7 * weeks)
        self.window_.load(day, cell, as_of)
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        self.window_.push(cells)
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        weighted = np.zeros(self.n_cells_)
        for w in range(int(self.weeks)):
            weighted += self.window_.recent(7 * w, 7 * (w + 1)) / (1.0 + w)
        return self.kernel_ @ weighted
