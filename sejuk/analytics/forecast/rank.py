"""Entry point for the live system: fit a model on past events, rank the cells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import CellEvents, Forecaster
from .errors import ForecastError
from .events import Events, date_of, day_number
from .grid import Grid, StudyArea
from .registry import make_model

__all__ = ["Ranking", "fit_and_rank"]


@dataclass(frozen=True)
class Ranking:
    """Cells ranked by a model's score for ``[as_of, as_of + horizon_days)``, best first.

    Attributes
    ----------
    keys : ndarray of int64
        Cell keys of ``grid`` (square-cell keys or H3 indices), best first;
        ties in score are ordered by key.
    scores : ndarray
        The model's scores (expected events over the horizon for the
        self-exciting models; counts or densities for the baselines).
    n_cells : int
        Cells in the study area (all of them are ranked).
    """

    grid: Grid
    keys: np.ndarray
    scores: np.ndarray
    as_of: dt.date
    horizon_days: int
    model: str

    def __post_init__(self) -> None:
        if len(self.keys) != len(self.scores):
            raise ForecastError("keys and scores differ in length")

    @property
    def n_cells(self) -> int:
        return len(self.keys)

    def top(self, coverage: float | None = None, n: int | None = None) -> Ranking:
        """The first ``n`` cells, or the top ``coverage`` share of the area (rounded, >= 1)."""
        if (coverage is None) == (n is None):
            raise ForecastError("give exactly one of coverage or n")
        if coverage is not None:
            if not 0.0 < coverage <= 1.0:
                raise ForecastError(f"coverage must be in (0, 1], got {coverage!r}")
            n = max(1, int(np.floor(coverage * self.n_cells + 0.5)))
        n = max(0, int(n))  # type: ignore[arg-type]
        return Ranking(
            self.grid, self.keys[:n], self.scores[:n], self.as_of, self.horizon_days, self.model
        )

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection of the ranked cells with ``rank``, ``score``, ``cell``."""
        lon, lat = self.grid.centres_lonlat(self.keys)
        features = []
        for rank, (key, score) in enumerate(
            zip(self.keys.tolist(), self.scores.tolist(), strict=True)
        ):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[list(p) for p in self.grid.boundary(key)]],
                    },
                    "properties": {
                        "rank": rank + 1,
                        "cell": str(key),
                        "score": score,
                        "centre": [round(float(lon[rank]), 6), round(float(lat[rank]), 6)],
                    },
                }
            )
        return {
            "type": "FeatureCollection",
            "features": features,
            "properties": {
                "as_of": self.as_of.isoformat(),
                "horizon_days": self.horizon_days,
                "model": self.model,
                "grid": self.grid.describe(),
            },
        }


def fit_and_rank(
    events: Events,
    cells: Grid | StudyArea,
    as_of: dt.date | int,
    horizon_days: int = 1,
    model: str | Forecaster = "blend",
) -> Ranking:
    """Fit ``model`` on the events before ``as_of`` and rank the cells for the next days.

    Parameters
    ----------
    events : Events
        Past events (incidents, verified reports...). Events on or after
        ``as_of`` are ignored.
    cells : Grid or StudyArea
        A grid (fitted or not: an unfitted grid is fitted on the events), whose
        study area is then the cells holding at least one event before
        ``as_of``; or an explicit :class:`StudyArea` (e.g. from a boundary).
        Events outside the study area are ignored.
    as_of : date or int
        First day of the forecast (a date or days since 1970-01-01).
    horizon_days : int, default 1
    model : str or Forecaster, default "blend"
        A model name from :data:`MODELS` or an unfitted model instance.

    Returns
    -------
    Ranking
        Every study-area cell, best first. ``ranking.top(coverage=0.05)``
        gives the flagged cells.

    Examples
    --------
    >>> ranking = fit_and_rank(events, SquareGrid(250), dt.date(2024, 2, 14), 1)  # doctest: +SKIP
    >>> ranking.top(coverage=0.05).to_geojson()  # doctest: +SKIP
    """
    day = day_number(as_of) if isinstance(as_of, dt.date) else int(as_of)
    if not isinstance(horizon_days, int) or horizon_days < 1:
        raise ForecastError(f"horizon must be a whole number of days >= 1, got {horizon_days!r}")
    past = events.before(day)
    if len(past) == 0:
        raise ForecastError(f"no events before {date_of(day)}")
    if isinstance(cells, StudyArea):
        area = cells
    elif isinstance(cells, Grid):
        if not hasattr(cells, "crs_"):
            cells.fit(past.lon, past.lat)
        area = StudyArea.from_events(cells, past)
    else:
        raise ForecastError(f"cells must be a Grid or StudyArea, got {type(cells).__name__}")
    forecaster = make_model(model) if isinstance(model, str) else model
    forecaster.fit(CellEvents.from_events(area, past), day)
    scores = forecaster.predict(horizon_days)
    order = np.lexsort((area.keys, -scores))
    return Ranking(
        grid=area.grid,
        keys=area.keys[order],
        scores=scores[order],
        as_of=date_of(day),
        horizon_days=horizon_days,
        model=getattr(forecaster, "name", type(forecaster).__name__),
    )
