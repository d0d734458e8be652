"""The daily vulnerability index per kelurahan: arithmetic only (no Django).

A definition (:class:`IndexSpec`, read from a versioned JSON file) names the
assessment indicators (IKP dimensions, IPKP stages), the live signals with
their weights and saturation scales, the calendar multipliers and the level
thresholds. :class:`RiskIndex` turns answers, signal values and election
phases into scores in [0, 100] whose contributions add up exactly. See
``spec.py`` for the formula and docs/risk.md for the reasons.

Public API
----------
IndexSpec, Dimension, Indicator, Signal, Stage, LEVELS, PHASES, text_for
    The definition and its parts.
RiskIndex, IndexInputs, IndexResult, Contribution, levels_of
    Scoring and explanations.
aggregate_events
    Decayed, weighted event counts per kelurahan and signal (vectorised).
trend_slope
    Least-squares trend of daily scores, NaN-aware.
round_preserving_sum
    Rounding that keeps shown contributions adding up to the shown score.
rollup, Rollup
    Area and unit aggregates (max, mean, counts per level).
SpecError, IndexInputError
    Bad definition / bad inputs (both :class:`ValueError`).
"""

from __future__ import annotations

from .errors import IndexInputError, SpecError
from .index import (
    Contribution,
    IndexInputs,
    IndexResult,
    RiskIndex,
    aggregate_events,
    levels_of,
    round_preserving_sum,
    trend_slope,
)
from .rollup import Rollup, rollup
from .spec import LEVELS, PHASES, Dimension, IndexSpec, Indicator, Signal, Stage, text_for

__all__ = [
    "LEVELS",
    "PHASES",
    "Contribution",
    "Dimension",
    "IndexInputError",
    "IndexInputs",
    "IndexResult",
    "IndexSpec",
    "Indicator",
    "RiskIndex",
    "Rollup",
    "Signal",
    "SpecError",
    "Stage",
    "aggregate_events",
    "levels_of",
    "rollup",
    "round_preserving_sum",
    "text_for",
    "trend_slope",
]
