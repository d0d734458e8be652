"""Exception types of the geometry library."""

from __future__ import annotations

__all__ = ["GeometryError"]


class GeometryError(ValueError):
    """A boundary geometry could not be parsed, validated or repaired.

    Subclasses :class:`ValueError` so callers that already treat bad input
    values generically keep working, while importers can catch this type to
    report the offending region code and carry on with the next row.
    """
