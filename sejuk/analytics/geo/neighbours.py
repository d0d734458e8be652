"""Adjacency between boundaries of one administrative level."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import shapely

from .distance import haversine_m
from .shapes import to_shapes

__all__ = ["find_neighbours"]

# Shortest metres per degree: a degree of latitude at the equator (WGS84).
# Converting the tolerance with it overestimates degrees, so the coarse
# search never misses a pair the exact check would accept.
_MIN_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
# Keeps the x-scale finite for data touching the poles.
_MIN_COS = 1e-3


def find_neighbours(
    geoms: Mapping[str, Mapping[str, Any]], tolerance_m: float = 25.0
) -> dict[str, list[str]]:
    """Find, for every region, the regions it touches or nearly touches.

    Parameters
    ----------
    geoms : Mapping of str to Mapping
        GeoJSON Polygon/MultiPolygon geometries keyed by region code, all of
        one administrative level. Invalid shapes are repaired first.
    tolerance_m : float, default 25.0
        Regions whose boundaries come within this many metres of each other
        count as neighbours. Real boundary data has slivers and gaps between
        regions that share a border on the ground, so exact touching misses
        many true neighbours.

    Returns
    -------
    dict of str to list of str
        Every input code mapped to the sorted codes of its neighbours (an
        empty list for isolated regions, e.g. small islands). The relation is
        symmetric and never contains the code itself.

    Raises
    ------
    ValueError
        If ``tolerance_m`` is negative or not finite.
    GeometryError
        If a geometry is unusable; the message starts with its code.

    Notes
    -----
    Longitudes are first multiplied by the cosine of the data's middle
    latitude so that degree space is roughly isotropic. An STRtree
    ``dwithin`` query with a deliberately generous degree radius yields
    candidate pairs; overlapping or touching pairs are accepted outright,
    and for the rest the two closest points (found in the scaled space) are
    measured with the haversine formula. That distance is between two real
    points of the shapes, so it is exact for the pair of points and at most
    marginally above the true minimum distance.
    """
    if not math.isfinite(tolerance_m) or tolerance_m < 0:
        raise ValueError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
    codes = list(geoms)
    result: dict[str, list[str]] = {code: [] for code in codes}
    if len(codes) < 2:
        return result

    shapes = to_shapes(codes, [geoms[code] for code in codes])
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(shapes)
    x_scale = max(math.cos(math.radians((min_lat + max_lat) / 2.0)), _MIN_COS)
    scaled = shapely.transform(shapes, lambda xy: xy * (x_scale, 1.0))

    # One scaled degree east-west is 111.32 km * cos(lat) / x_scale, which is
    # shortest at the data's most poleward latitude.
    cos_extreme = max(math.cos(math.radians(max(abs(min_lat), abs(max_lat)))), _MIN_COS)
    m_per_unit = min(_MIN_M_PER_DEG_LAT, _M_PER_DEG_LON_EQUATOR * cos_extreme / x_scale)
    search_deg = tolerance_m / m_per_unit * 1.05

    tree = shapely.STRtree(scaled)
    left, right = tree.query(scaled, predicate="dwithin", distance=search_deg)
    keep = left < right  # drops self-matches and the mirrored duplicate of each pair
    left, right = left[keep], right[keep]

    near = shapely.intersects(scaled[left], scaled[right])
    far = ~near
    if far.any():
        lines = shapely.shortest_line(scaled[left[far]], scaled[right[far]])
        ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        lon = ends[:, :, 0] / x_scale
        lat = ends[:, :, 1]
        metres = haversine_m(lat[:, 0], lon[:, 0], lat[:, 1], lon[:, 1])
        near[far] = metres <= tolerance_m

    for i, j in zip(left[near].tolist(), right[near].tolist(), strict=True):
        result[codes[i]].append(codes[j])
        result[codes[j]].append(codes[i])
    for neighbours in result.values():
        neighbours.sort()
    return result
