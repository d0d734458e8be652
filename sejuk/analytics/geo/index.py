"""Point-in-polygon lookup of region codes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike

from .shapes import to_shapes

__all__ = ["PolygonIndex"]


class PolygonIndex:
    """Spatial index answering "which region contains this point?".

    Parameters
    ----------
    codes : Sequence of str
        Unique region codes, aligned with ``geoms``.
    geoms : Sequence of Mapping
        GeoJSON Polygon/MultiPolygon geometries in ``[lng, lat]`` order.
        Invalid shapes are repaired with :func:`shapely.make_valid`.

    Attributes
    ----------
    codes : tuple of str
        The region codes in input order.

    Raises
    ------
    ValueError
        If ``codes`` and ``geoms`` differ in length or a code repeats.
    GeometryError
        If a geometry is unusable; the message starts with its code.

    Notes
    -----
    Points on a boundary count as inside. Where a point lies in several
    polygons (real boundary data overlaps, and shared borders belong to both
    sides) the polygon with the smallest area wins, ties broken by code, so
    the answer never depends on input order. Smaller-first is chosen because
    an overlap is usually a small region drawn slightly too large into a
    bigger neighbour. Areas are compared in square degrees: competing
    polygons share the point, hence the latitude scale factor, so ranking by
    planar area matches ranking by true area.
    """

    def __init__(self, codes: Sequence[str], geoms: Sequence[Mapping[str, Any]]) -> None:
        if len(codes) != len(geoms):
            raise ValueError(f"got {len(codes)} codes but {len(geoms)} geometries")
        self.codes: tuple[str, ...] = tuple(codes)
        duplicates = sorted(code for code, n in Counter(self.codes).items() if n > 1)
        if duplicates:
            raise ValueError(f"duplicate codes: {', '.join(duplicates[:10])}")
        self._shapes = to_shapes(self.codes, geoms)
        self._tree = shapely.STRtree(self._shapes)
        # Prepared polygons answer point-in-polygon through an indexed locator
        # instead of scanning every vertex. GEOS builds that locator lazily on
        # first use, so one probe per polygon here keeps concurrent readers of
        # a shared index from racing to build it.
        shapely.prepare(self._shapes)
        if len(self._shapes):
            probes = shapely.get_coordinates(shapely.point_on_surface(self._shapes))
            shapely.intersects_xy(self._shapes, probes[:, 0], probes[:, 1])

        # Precomputed preference rank per polygon (0 = preferred) turns
        # overlap resolution into an integer minimum per point.
        areas = shapely.area(self._shapes).tolist()
        order = sorted(range(len(self.codes)), key=lambda i: (areas[i], self.codes[i]))
        self._rank = np.empty(len(order), dtype=np.intp)
        self._rank[order] = np.arange(len(order))
        # object dtype keeps the codes as the original str instances, and None
        # in the extra last slot marks "not found".
        self._code_by_rank = np.empty(len(order) + 1, dtype=object)
        self._code_by_rank[: len(order)] = [self.codes[i] for i in order]

    def __len__(self) -> int:
        """Return the number of indexed polygons."""
        return len(self.codes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} polygons)"

    def locate(self, lat: float, lon: float) -> str | None:
        """Return the code of the polygon containing one point.

        Parameters
        ----------
        lat, lon : float
            WGS84 coordinates in decimal degrees.

        Returns
        -------
        str or None
            The region code, or None when no polygon contains the point.

        Raises
        ------
        ValueError
            If the coordinates are not finite or out of range; unlike
            :meth:`locate_many`, a single bad point is most likely a caller
            bug (for example swapped arguments) and should be loud.
        """
        lat, lon = float(lat), float(lon)
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise ValueError(f"latitude must be a finite number in [-90, 90], got {lat!r}")
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            raise ValueError(f"longitude must be a finite number in [-180, 180], got {lon!r}")
        return self.locate_many([lat], [lon])[0]

    def locate_many(self, lats: ArrayLike, lons: ArrayLike) -> list[str | None]:
        """Return the code of the containing polygon for each point.

        Parameters
        ----------
        lats, lons : array_like of float
            One-dimensional sequences or numpy arrays of equal length, in
            WGS84 decimal degrees.

        Returns
        -------
        list of (str or None)
            One entry per point; None where no polygon contains the point or
            the point is NaN, infinite or out of range (bad rows in bulk
            data should not abort the whole batch).

        Raises
        ------
        ValueError
            If the inputs are not one-dimensional or differ in length.
        """
        lat = np.asarray(lats, dtype=np.float64)
        lon = np.asarray(lons, dtype=np.float64)
        if lat.ndim != 1 or lon.ndim != 1:
            raise ValueError("lats and lons must be one-dimensional")
        if lat.shape != lon.shape:
            raise ValueError(f"got {lat.size} latitudes but {lon.size} longitudes")

        # NaN compares False, so it drops out here along with out-of-range values.
        valid = (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
        rows = np.flatnonzero(valid)
        best = np.full(lat.size, len(self.codes), dtype=np.intp)
        if rows.size and len(self.codes):
            x, y = lon[rows], lat[rows]
            # Envelope candidates only: STRtree.query(predicate=...) prepares
            # the query side, here a point, which gains nothing, so each pair
            # would be a full vertex scan of the polygon. Testing the pairs on
            # the prepared polygons instead is ~2x faster on real data.
            point_idx, poly_idx = self._tree.query(shapely.points(x, y))
            # "intersects" rather than "within" so boundary points match.
            hit = shapely.intersects_xy(self._shapes[poly_idx], x[point_idx], y[point_idx])
            np.minimum.at(best, rows[point_idx[hit]], self._rank[poly_idx[hit]])
        return self._code_by_rank[best].tolist()
