"""Hotspot forecasting on grid cells (no Django).

Events (time, lon, lat) are placed in square cells of a given size in metres
or in H3 hexagons; models score the cells for the next ``horizon_days``;
the backtester rolls forward one forecast period at a time and scores hit rate
and PAI against every baseline. See docs/forecast.md.

Public API
----------
Events, read_events_csv, parse_time, parse_date
    Input events and the CSV reader (gzip or plain, line-numbered errors).
SquareGrid, H3Grid, StudyArea
    Cells and the set of cells a forecast ranks.
CellEvents
    Events placed in a study area.
LongRunCounts, DecayedCounts, KernelDensity, ProspectiveHotspot, GridETAS, HawkesBlend
    The models (``MODELS`` maps their command-line names to the classes).
backtest, BacktestResult
    Rolling-origin evaluation by hit rate and PAI.
fit_and_rank, Ranking
    The entry point for the live system.
ForecastError, EventsFileError
    Bad input (both are :class:`ValueError`).
"""

from __future__ import annotations

from .backtest import BacktestResult, ModelScore, backtest, flagged_count
from .base import CellEvents, Forecaster, top_cells
from .errors import EventsFileError, ForecastError
from .events import Events, ReadReport, date_of, day_number, parse_date, parse_time, read_events_csv
from .grid import Grid, H3Grid, SquareGrid, StudyArea, utm_crs_for
from .models import DecayedCounts, KernelDensity, LongRunCounts, ProspectiveHotspot
from .rank import Ranking, fit_and_rank
from .registry import MODELS, make_model
from .selfexciting import GridETAS, HawkesBlend

__all__ = [
    "MODELS",
    "BacktestResult",
    "CellEvents",
    "DecayedCounts",
    "Events",
    "EventsFileError",
    "ForecastError",
    "Forecaster",
    "Grid",
    "GridETAS",
    "H3Grid",
    "HawkesBlend",
    "KernelDensity",
    "LongRunCounts",
    "ModelScore",
    "ProspectiveHotspot",
    "Ranking",
    "ReadReport",
    "SquareGrid",
    "StudyArea",
    "backtest",
    "date_of",
    "day_number",
    "fit_and_rank",
    "flagged_count",
    "make_model",
    "parse_date",
    "parse_time",
    "read_events_csv",
    "top_cells",
    "utm_crs_for",
]
