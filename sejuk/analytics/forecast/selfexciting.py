"""Self-exciting (Hawkes / ETAS-type) forecast models fitted by EM.

Both models work in discrete time: a day's events can excite the following
days, never their own day (a next-day forecast cannot use them anyway, and
same-day duplicates, such as one incident with several victims, would
otherwise dominate the fit). An exponential kernel with time scale ``tau``
days becomes the geometric kernel ``(1 - q) q**(lag - 1)``, ``lag >= 1``,
``q = exp(-1/tau)``, which sums to one.

``GridETAS`` is the grid-cell ETAS of Mohler et al. (2011 JASA; in the
grid form of Mohler et al. 2015 JASA): each cell has its own background rate
``mu_n``, and every event raises its cell's rate by ``theta * kernel(lag)``.
``mu``, ``theta`` and ``q`` are fitted by expectation-maximisation over the
branching structure ("which earlier event, if any, triggered this one").

``HawkesBlend`` keeps the self-exciting form but lets EM weigh a dictionary
of terms: the cell's long-run rate (all history), a uniform floor, and
triggering kernels with time scales from days to years that spread to the
cell itself and to rings of neighbouring cells. With the time scales fixed,
the E-step responsibilities give a closed-form M-step and the likelihood is
concave in the weights, so EM converges to the global maximum from any start:
a blend of long-run and recent, self-exciting terms whose weights are a
maximum-likelihood fit on the year before the forecast start.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp

from .base import CellEvents, Forecaster
from .errors import ForecastError

__all__ = ["GridETAS", "HawkesBlend"]


def _cell_days(day: np.ndarray, cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, ...]:
    """Unique (cell, day) pairs with their event counts, sorted by cell then day."""
    span = int(day.max() - day.min() + 1) if len(day) else 1
    base = int(day.min()) if len(day) else 0
    key = cell.astype(np.int64) * span + (day - base)
    uniq, count = np.unique(key, return_counts=True)
    return uniq // span, uniq % span + base, count.astype(np.float64)


class GridETAS(Forecaster):
    """Grid-cell ETAS (Mohler et al.): ``lambda_n(t) = mu_n + theta * sum_i g(t - t_i)``.

    The sum runs over the earlier events of cell ``n``; ``g`` is the geometric
    day kernel with time scale ``1 / omega_`` days.

    Parameters
    ----------
    fit_days : int or None, default None
        Fit on the events of this many days before ``as_of``; None: all history.
    max_lag_days : int, default 365
        Pairs of events further apart are not considered as parent and child
        (the fitted time scale is a few weeks, so this truncation is harmless).
    max_iter : int, default 200
    tol : float, default 1e-7
        Stop when the log-likelihood gains less than ``tol`` times its size.
    init_time_scale_days : float, default 14
    init_theta : float, default 0.1

    Attributes
    ----------
    mu_ : ndarray
        Background events per day of each cell.
    theta_ : float
        Expected number of direct offspring of an event (branching ratio).
    omega_ : float
        Decay rate per day of the triggering kernel.
    loglik_ : float
    n_iter_ : int
    """

    name = "etas"

    def __init__(
        self,
        fit_days: int | None = None,
        max_lag_days: int = 365,
        max_iter: int = 200,
        tol: float = 1e-7,
        init_time_scale_days: float = 14.0,
        init_theta: float = 0.1,
    ) -> None:
        self.fit_days = fit_days
        self.max_lag_days = max_lag_days
        self.max_iter = max_iter
        self.tol = tol
        self.init_time_scale_days = init_time_scale_days
        self.init_theta = init_theta

    def fit(self, history: CellEvents, as_of: int) -> Self:
        day, cell = self._start(history, as_of)
        if self.fit_days is not None:
            keep = day >= as_of - int(self.fit_days)
            day, cell = day[keep], cell[keep]
        if len(day) < 2:
            raise ForecastError("etas: need at least two events before the start to fit")
        t0 = int(day.min())
        span = as_of - t0
        c, d, m = _cell_days(day, cell, self.n_cells_)
        # Parent/child pairs of cell-days in the same cell, at most max_lag_days apart.
        parents, children = [], []
        for shift in range(1, len(c)):
            same = (c[shift:] == c[:-shift]) & (d[shift:] - d[:-shift] <= self.max_lag_days)
            if not same.any():
                break
            idx = np.flatnonzero(same)
            parents.append(idx)
            children.append(idx + shift)
        pi = np.concatenate(parents) if parents else np.empty(0, np.int64)
        ci = np.concatenate(children) if children else np.empty(0, np.int64)
        lag = (d[ci] - d[pi]).astype(np.float64)
        left = (as_of - d).astype(np.float64)  # days from each cell-day to the end of the fit

        mu = np.bincount(c, weights=m, minlength=self.n_cells_) / span * 0.5
        theta = float(self.init_theta)
        q = float(np.exp(-1.0 / self.init_time_scale_days))
        prev = -np.inf
        it = 0
        for _ in range(max(1, int(self.max_iter))):
            it += 1
            trig = theta * (1.0 - q) * q ** (lag - 1.0) * m[pi]
            lam = mu[c].copy()
            np.add.at(lam, ci, trig)
            loglik = float(
                (m * np.log(lam)).sum() - mu.sum() * span - theta * (m * (1.0 - q**left)).sum()
            )
            # M-step: background share per cell, offspring share per pair.
            mu = np.bincount(c, weights=m * mu[c] / lam, minlength=self.n_cells_) / span
            resp = trig * m[ci] / lam[ci]
            offspring = resp.sum()
            if offspring <= 0:
                theta = 0.0
                break
            theta = offspring / (m * (1.0 - q**left)).sum()
            mean_gap = (resp * (lag - 1.0)).sum() / offspring
            q = mean_gap / (1.0 + mean_gap)
            if abs(loglik - prev) <= self.tol * abs(loglik):
                break
            prev = loglik
        self.mu_ = mu
        self.theta_ = float(theta)
        self.omega_ = float(-np.log(q)) if q > 0 else np.inf
        self.loglik_ = loglik
        self.n_iter_ = it
        self._q = q
        # Excitation state at as_of: sum over past events of (1 - q) q**(as_of - 1 - day).
        self.excitation_ = np.bincount(
            cell,
            weights=(1.0 - q) * q ** (as_of - 1 - day).astype(np.float64),
            minlength=self.n_cells_,
        )
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        self.excitation_ = self.excitation_ * self._q + (1.0 - self._q) * self._counts(cells)
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        q = self._q
        spread = (1.0 - q**horizon_days) / (1.0 - q) if q < 1.0 else float(horizon_days)
        return horizon_days * self.mu_ + self.theta_ * spread * self.excitation_


class HawkesBlend(Forecaster):
    """Self-exciting blend of long-run and recent terms, weighted by EM.

    ``lambda_n(t) = beta * b_n(t) + eps + sum_{k,r} a_kr * sum_{j in ring r of n} E_kj(t)``

    * ``b_n(t)``: long-run rate of cell ``n``, its events before ``t`` per day
      of history;
    * ``eps``: a uniform floor (cells with no recent events);
    * ``E_kj(t) = sum over earlier events i of cell j of (1 - q_k) q_k**(t - 1 - t_i)``,
      the excitation of time scale ``tau_k`` (``q_k = exp(-1/tau_k)``);
    * rings ``r``: the cell itself, then neighbours by centre distance up to
      ``radius_m`` (for 250 m squares and the default radius: the 4 edge
      neighbours and the 4 diagonal ones).

    The non-negative weights ``beta, eps, a_kr`` maximise the Poisson
    likelihood of the daily counts of the ``fit_days`` days before ``as_of``
    (with the history before them feeding ``b`` and ``E``), by EM.

    Parameters
    ----------
    time_scales_days : tuple of float, default (1, 7, 30, 91, 365, 1095)
    radius_m : float or None, default None
        Neighbour radius; None: 1.5 times the cell spacing (one ring).
    fit_days : int, default 365
        Length of the fit window, cut to the later half of the history when
        the history is shorter than twice that.
    max_iter : int, default 5000
    tol : float, default 1e-10
        Relative log-likelihood gain below which EM stops.

    Attributes
    ----------
    weights_ : dict
        ``{"long_run": beta, "floor": eps, "tau=7d ring 0": a, ...}``.
    offspring_ : ndarray
        Expected direct offspring per event for each time scale (branching ratio).
    loglik_ : float
    n_iter_ : int
    fallback_ : bool
        True when the fit window held no event (or the history is a single
        day): the weights are then the long-run term alone, the all-history
        counts ranking.
    """

    name = "blend"

    def __init__(
        self,
        time_scales_days: tuple[float, ...] = (1.0, 7.0, 30.0, 91.0, 365.0, 1095.0),
        radius_m: float | None = None,
        fit_days: int = 365,
        max_iter: int = 5000,
        tol: float = 1e-10,
    ) -> None:
        self.time_scales_days = time_scales_days
        self.radius_m = radius_m
        self.fit_days = fit_days
        self.max_iter = max_iter
        self.tol = tol

    # -- geometry ---------------------------------------------------------------------------

    def _rings(self, history: CellEvents) -> None:
        area = history.area
        spacing = area.grid.spacing_m
        radius = 1.5 * spacing if self.radius_m is None else float(self.radius_m)
        if not radius >= 0:
            raise ForecastError(f"blend: radius_m must be >= 0, got {self.radius_m!r}")
        i, j, dist = area.pairs_within(radius)
        # Ring classes by centre distance in tenths of the spacing (hexagon
        # centres are not exactly equidistant once projected).
        ring_key = np.rint(dist / spacing * 10.0).astype(np.int64)
        classes, ring = np.unique(ring_key, return_inverse=True)
        n = self.n_cells_
        per_cell = np.bincount(i, minlength=n)
        width = int(per_cell.max())
        start = np.concatenate([[0], np.cumsum(per_cell)[:-1]])
        slot = np.arange(len(i)) - start[i]
        # Padded neighbour table: column slots beyond a cell's neighbours point at
        # index n, a zero entry appended to every excitation vector.
        self._nbr = np.full((n, width), n, dtype=np.int64)
        self._nbr[i, slot] = j
        self._ring = np.full((n, width), -1, dtype=np.int64)
        self._ring[i, slot] = ring
        self.n_rings_ = len(classes)
        self.ring_distance_m_ = classes / 10.0 * spacing
        # Area cells in ring r around each cell (for the compensator).
        self._ring_count = np.zeros((len(classes), n))
        np.add.at(self._ring_count, (ring, i), 1.0)
        self._ring_onehot = np.zeros((n, width, len(classes)))
        valid = self._ring >= 0
        self._ring_onehot[np.nonzero(valid) + (self._ring[valid],)] = 1.0
        # One sparse adjacency matrix per ring, for whole-area sums at predict time.
        self._ring_matrix = [
            sp.csr_matrix(
                (np.ones(int((ring == r).sum())), (i[ring == r], j[ring == r])), shape=(n, n)
            )
            for r in range(len(classes))
        ]

    def _ring_sums(self, excitation: np.ndarray, cells: np.ndarray | None = None) -> np.ndarray:
        """``(K, len(cells), R)``: excitation summed over each ring around the cells."""
        padded = np.concatenate([excitation, np.zeros((excitation.shape[0], 1))], axis=1)
        nbr = self._nbr if cells is None else self._nbr[cells]
        onehot = self._ring_onehot if cells is None else self._ring_onehot[cells]
        return np.einsum("kcw,cwr->kcr", padded[:, nbr], onehot)

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, history: CellEvents, as_of: int) -> Self:
        scales = np.asarray(self.time_scales_days, dtype=np.float64).reshape(-1)
        if len(scales) == 0 or not (np.isfinite(scales).all() and (scales > 0).all()):
            raise ForecastError(
                f"blend: time scales must be positive days, got {self.time_scales_days!r}"
            )
        fit_days = int(self.fit_days)
        if fit_days < 1:
            raise ForecastError(f"blend: fit_days must be >= 1, got {self.fit_days!r}")
        day, cell = self._start(history, as_of)
        if len(day) == 0:
            raise ForecastError("blend: no events before the start")
        n = self.n_cells_
        self._rings(history)
        self._q = np.exp(-1.0 / scales)
        q = self._q[:, None]
        self.first_day_ = int(day.min())
        # Keep at least half of the history before the fit window as burn-in:
        # weights learnt while the long-run and yearly terms still rest on a few
        # weeks of data would not carry over to the forecast, where they rest on
        # all the history.
        # The window starts at least a day after the first event, so the long-run
        # rate always rests on one day or more; with a single day of history the
        # window is empty and the fallback below applies.
        t0 = max(as_of - fit_days, self.first_day_ + max(1, (as_of - self.first_day_) // 2))
        t0 = min(t0, as_of)
        n_days = as_of - t0

        # State at t0 from the history before the fit window.
        old = day < t0
        age = (t0 - 1 - day[old]).astype(np.float64)
        exc = np.stack(
            [np.bincount(cell[old], weights=(1 - qk) * qk**age, minlength=n) for qk in self._q]
        )
        counts = np.bincount(cell[old], minlength=n).astype(np.float64)

        n_scales, n_rings = len(scales), self.n_rings_
        rows: list[np.ndarray] = []
        mult: list[np.ndarray] = []
        z_exc = np.zeros((n_scales, n))
        z_long = 0.0
        bounds = np.searchsorted(day, np.arange(t0, as_of + 1))
        for t in range(n_days):
            elapsed = float(t0 + t - self.first_day_)
            a, b = bounds[t], bounds[t + 1]
            if b > a:
                cells, m = np.unique(cell[a:b], return_counts=True)
                feats = np.empty((len(cells), 2 + n_scales * n_rings))
                feats[:, 0] = counts[cells] / elapsed
                feats[:, 1] = 1.0
                feats[:, 2:] = (
                    self._ring_sums(exc, cells).transpose(1, 0, 2).reshape(len(cells), -1)
                )
                rows.append(feats)
                mult.append(m.astype(np.float64))
            z_exc += exc
            z_long += counts.sum() / elapsed
            # Advance the state by one day with the day's events.
            today = np.bincount(cell[a:b], minlength=n).astype(np.float64)
            exc = exc * q + (1 - q) * today
            counts += today
        # Compensator: the integral of each term over the fit window and all cells.
        z = np.concatenate([[z_long, float(n_days * n)], (z_exc @ self._ring_count.T).reshape(-1)])
        usable = z > 0
        if rows:
            features = np.concatenate(rows)
            weight = np.concatenate(mult)
            w = np.where(usable, weight.sum() / max(len(z), 1) / np.where(usable, z, 1.0), 0.0)
        else:
            # No event in the fit window (sparse data): nothing to weigh the terms
            # by, so rank by the long-run rate alone.
            features = np.zeros((0, len(z)))
            weight = np.zeros(0)
            w = np.zeros(len(z))
            w[0] = 1.0
        self.fallback_ = not rows
        prev = -np.inf
        loglik = prev
        it = 0
        for _ in range(max(1, int(self.max_iter)) if rows else 0):
            it += 1
            lam = features @ w
            loglik = float((weight * np.log(lam)).sum() - z @ w)
            w = w * ((weight / lam) @ features) / np.where(usable, z, 1.0)
            if loglik - prev <= self.tol * abs(loglik):
                break
            prev = loglik
        self.n_iter_ = it
        self.loglik_ = loglik
        self.coef_ = w
        self.beta_, self.epsilon_ = float(w[0]), float(w[1])
        self._a = w[2:].reshape(n_scales, n_rings)
        typical = np.median(self._ring_count, axis=1)  # ring sizes of an interior cell
        self.offspring_ = self._a @ typical
        names = ["long_run", "floor"] + [
            f"tau={s:g}d ring {r}" for s in scales for r in range(n_rings)
        ]
        self.weights_ = dict(zip(names, (float(x) for x in w), strict=True))
        # State at as_of: continue from the fit window's end.
        self.excitation_ = exc
        self.counts_ = counts
        return self

    def observe(self, cells: np.ndarray) -> None:
        self._check_fitted()
        today = self._counts(cells)
        self.excitation_ = self.excitation_ * self._q[:, None] + (1 - self._q[:, None]) * today
        self.counts_ += today
        self.now_ += 1

    def predict(self, horizon_days: int = 1) -> np.ndarray:
        self._check_fitted()
        q = self._q
        spread = (1.0 - q**horizon_days) / (1.0 - q)  # days ahead summed, per time scale
        # sum_r A_r @ (sum_k a_kr spread_k E_k): one sparse product per ring.
        per_ring = (self._a * spread[:, None]).T @ self.excitation_  # R x n
        trig = sum(m @ v for m, v in zip(self._ring_matrix, per_ring, strict=True))
        long_run = self.counts_ / float(self.now_ - self.first_day_)
        return horizon_days * (self.beta_ * long_run + self.epsilon_) + trig
