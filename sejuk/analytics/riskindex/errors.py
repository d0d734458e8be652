"""Exception types of the risk-index library."""

from __future__ import annotations

__all__ = ["IndexInputError", "SpecError"]


class SpecError(ValueError):
    """An index definition (the versioned indicator file) is invalid.

    The message names the file (when known) and the JSON path of the bad value,
    e.g. ``indicators.json: signals[2].scale: must be > 0, got 0``.
    """


class IndexInputError(ValueError):
    """Inputs to the scorer have the wrong shape or out-of-range values."""
