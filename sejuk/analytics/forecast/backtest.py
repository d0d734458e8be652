"""Rolling-origin backtest of forecast models by hit rate and PAI.

Definitions (docs/forecast.md has the full text):

* The study area has ``N`` cells; ``k = floor(coverage * N + 0.5)`` (at least
  one) are flagged per forecast period: the ``k`` highest scores, ties at the
  threshold broken by cell key.
* Periods are ``[t, t + horizon_days)`` for ``t = start, start + horizon_days, ...``
  up to ``end`` inclusive; the last period is cut at ``end``.
* Before each period a model sees every event before ``t``; parameters are
  fitted once, on the events before ``start``.
* Hit rate = (events of all periods that fall in their period's flagged
  cells) / (all events of the periods). Events outside the study area count
  as misses.
* PAI (Chainey et al. 2008) = hit rate / (k / N), the share of area flagged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import CellEvents, Forecaster, top_cells
from .errors import ForecastError
from .events import date_of

__all__ = ["BacktestResult", "ModelScore", "backtest", "flagged_count"]


def flagged_count(coverage: float, n_cells: int) -> int:
    """Cells flagged for a coverage share: ``floor(coverage * n_cells + 0.5)``, at least 1."""
    if not (isinstance(coverage, int | float) and 0.0 < coverage <= 1.0):
        raise ForecastError(f"coverage must be in (0, 1], got {coverage!r}")
    return max(1, min(n_cells, int(np.floor(coverage * n_cells + 0.5))))


@dataclass(frozen=True)
class ModelScore:
    """One model's backtest figures."""

    name: str
    hit_rate: float
    pai: float
    hits: int
    events: int
    mean_period_hit_rate: float
    fit_seconds: float
    run_seconds: float
    params: dict[str, Any]
    period_hits: np.ndarray = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hit_rate": round(self.hit_rate, 4),
            "pai": round(self.pai, 3),
            "hits": self.hits,
            "events": self.events,
            "mean_period_hit_rate": round(self.mean_period_hit_rate, 4),
            "fit_seconds": round(self.fit_seconds, 2),
            "run_seconds": round(self.run_seconds, 2),
            "params": self.params,
        }


@dataclass(frozen=True)
class BacktestResult:
    """Figures of a backtest; ``models`` keeps the order the models were given in."""

    start: int
    end: int
    horizon_days: int
    coverage: float
    n_cells: int
    flagged: int
    period_events: np.ndarray = field(repr=False)
    events_outside: int
    models: dict[str, ModelScore]

    @property
    def events(self) -> int:
        return int(self.period_events.sum())

    def difference(
        self, model: str, baseline: str, n_boot: int = 2000, seed: int = 0
    ) -> tuple[float, float, float]:
        """Hit-rate difference ``model - baseline`` with a 95% bootstrap interval over periods.

        Periods are resampled with replacement (paired: both models see the
        same resampled periods).
        """
        a = self.models[model].period_hits
        b = self.models[baseline].period_hits
        ev = self.period_events
        diff = (a.sum() - b.sum()) / ev.sum()
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(ev), size=(n_boot, len(ev)))
        boot = (a[idx].sum(1) - b[idx].sum(1)) / np.maximum(ev[idx].sum(1), 1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        return float(diff), float(lo), float(hi)

    def as_dict(self, baseline: str | None = "counts") -> dict[str, Any]:
        models = {name: s.as_dict() for name, s in self.models.items()}
        if baseline in self.models:
            for name in self.models:
                if name != baseline:
                    d, lo, hi = self.difference(name, baseline)
                    models[name][f"hit_rate_minus_{baseline}"] = {
                        "value": round(d, 4),
                        "ci95": [round(lo, 4), round(hi, 4)],
                    }
        return {
            "models": models,
            "start": date_of(self.start).isoformat(),
            "end": date_of(self.end).isoformat(),
            "horizon_days": self.horizon_days,
            "periods": len(self.period_events),
            "coverage": self.coverage,
            "study_area_cells": self.n_cells,
            "flagged_cells": self.flagged,
            "area_share_flagged": round(self.flagged / self.n_cells, 5),
            "events": self.events,
            "events_outside_area": self.events_outside,
        }


def backtest(
    events: CellEvents,
    models: Mapping[str, Forecaster],
    *,
    start: int,
    end: int,
    horizon_days: int = 1,
    coverage: float = 0.05,
    progress: Callable[[str, int, int], None] | None = None,
) -> BacktestResult:
    """Fit each model on the events before ``start`` and roll forward period by period.

    Parameters
    ----------
    events : CellEvents
        All events (before and during the test period) in the study area.
    models : mapping of name to Forecaster
        Unfitted models; they are fitted here.
    start, end : int
        First and last forecast day (days since 1970-01-01), inclusive.
    horizon_days : int
        Length of a forecast period.
    coverage : float
        Share of the study-area cells flagged per period.
    progress : callable, optional
        ``progress(stage, done, total)``: stage ``"fit <name>"`` once per model
        (``done`` = models fitted), then ``"forecast"`` after each period.

    Returns
    -------
    BacktestResult
    """
    if not isinstance(horizon_days, int) or horizon_days < 1:
        raise ForecastError(f"horizon must be a whole number of days >= 1, got {horizon_days!r}")
    if end < start:
        raise ForecastError(f"end {date_of(end)} is before start {date_of(start)}")
    if not models:
        raise ForecastError("no models to backtest")
    if not (events.day < start).any():
        raise ForecastError(f"no events before the start {date_of(start)}: nothing to fit on")
    n = events.area.n_cells
    k = flagged_count(coverage, n)
    say = progress or (lambda *_: None)

    fit_seconds = {}
    for i, (name, model) in enumerate(models.items()):
        tick = time.perf_counter()
        model.fit(events, start)
        fit_seconds[name] = time.perf_counter() - tick
        say(f"fit {name}", i + 1, len(models))

    period_starts = np.arange(start, end + 1, horizon_days)
    n_periods = len(period_starts)
    bounds = events.day_bounds(start, end + 1)
    hits = {name: np.zeros(n_periods, dtype=np.int64) for name in models}
    run_seconds = dict.fromkeys(models, 0.0)
    period_events = np.zeros(n_periods, dtype=np.int64)
    outside = 0
    for p, t in enumerate(period_starts):
        length = int(min(horizon_days, end + 1 - t))
        a, b = bounds[t - start], bounds[t - start + length]
        cells = events.cell[a:b]
        period_events[p] = len(cells)
        inside = cells[cells >= 0]
        outside += len(cells) - len(inside)
        day_cells = [
            events.cell[bounds[t - start + j] : bounds[t - start + j + 1]] for j in range(length)
        ]
        for name, model in models.items():
            tick = time.perf_counter()
            flag = np.zeros(n, dtype=bool)
            flag[top_cells(model.predict(length), k)] = True
            hits[name][p] = int(flag[inside].sum())
            for c in day_cells:
                model.observe(c)
            run_seconds[name] += time.perf_counter() - tick
        say("forecast", p + 1, n_periods)

    total = int(period_events.sum())
    share = k / n
    scores = {}
    for name, model in models.items():
        h = hits[name]
        rate = h.sum() / total if total else float("nan")
        with np.errstate(invalid="ignore", divide="ignore"):
            per_period = np.where(period_events > 0, h / np.maximum(period_events, 1), np.nan)
        scores[name] = ModelScore(
            name=name,
            hit_rate=float(rate),
            pai=float(rate / share),
            hits=int(h.sum()),
            events=total,
            mean_period_hit_rate=float(np.nanmean(per_period)) if total else float("nan"),
            fit_seconds=fit_seconds[name],
            run_seconds=run_seconds[name],
            params=_jsonable(model.get_params()),
            period_hits=h,
        )
    return BacktestResult(
        start=start,
        end=end,
        horizon_days=horizon_days,
        coverage=coverage,
        n_cells=n,
        flagged=k,
        period_events=period_events,
        events_outside=outside,
        models=scores,
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, tuple | list | np.ndarray):
            out[key] = [float(v) if isinstance(v, float | np.floating) else v for v in value]
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out
