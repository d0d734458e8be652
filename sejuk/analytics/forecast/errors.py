"""Exception types of the forecast library."""

from __future__ import annotations

__all__ = ["EventsFileError", "ForecastError"]


class ForecastError(ValueError):
    """Bad input to the forecast library (events, grid, model or backtest settings).

    Subclasses :class:`ValueError` so callers that treat bad values generically
    keep working; the command line turns it into a one-line error.
    """


class EventsFileError(ForecastError):
    """An events CSV file could not be read; the message names the line and column."""
