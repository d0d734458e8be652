"""Model names used by the command line and :func:`fit_and_rank`."""

from __future__ import annotations

from typing import Any

from .base import Forecaster
from .errors import ForecastError
from .models import DecayedCounts, KernelDensity, LongRunCounts, ProspectiveHotspot
from .selfexciting import GridETAS, HawkesBlend

__all__ = ["MODELS", "make_model"]

#: Name -> model class, in the order the backtest reports them.
MODELS: dict[str, type[Forecaster]] = {
    "counts": LongRunCounts,
    "decay": DecayedCounts,
    "kde": KernelDensity,
    "hotspot": ProspectiveHotspot,
    "etas": GridETAS,
    "blend": HawkesBlend,
}


def make_model(name: str, **params: Any) -> Forecaster:
    """A new, unfitted model by name, with optional hyperparameters."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise ForecastError(f"unknown model {name!r}; choose from {', '.join(MODELS)}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise ForecastError(f"model {name}: {exc}") from None
