"""Summary figures (centroid, geodesic area, bounding box) of a boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyproj import Geod

from .shapes import to_shape

__all__ = ["GeometryStats", "geometry_stats"]

# Geodesic rather than projected area: a single projection cannot be
# equal-area for all of Indonesia's ~5,000 km east-west extent.
_GEOD = Geod(ellps="WGS84")
_M2_PER_KM2 = 1_000_000.0


@dataclass(frozen=True, slots=True)
class GeometryStats:
    """Summary figures of one boundary, all in WGS84 degrees or km².

    Attributes
    ----------
    centroid_lat, centroid_lon : float
        Label point: the planar centroid, or shapely's representative point
        when the centroid falls outside the shape (crescents, archipelagos).
    area_km2 : float
        Geodesic area on the WGS84 ellipsoid, holes excluded.
    min_lat, min_lon, max_lat, max_lon : float
        Bounding box.
    """

    centroid_lat: float
    centroid_lon: float
    area_km2: float
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float


def geometry_stats(geom: Mapping[str, Any]) -> GeometryStats:
    """Measure a GeoJSON Polygon or MultiPolygon.

    Parameters
    ----------
    geom : Mapping
        GeoJSON geometry in ``[lng, lat]`` order, e.g. from
        :func:`path_to_geojson`. Invalid shapes are repaired with
        :func:`shapely.make_valid` before measuring.

    Returns
    -------
    GeometryStats
        Centroid (guaranteed to lie inside the shape), geodesic area in km²
        and bounding box.

    Raises
    ------
    GeometryError
        If the geometry is not areal or has no area after repair.
    """
    shp = to_shape(geom)
    point = shp.centroid
    # The centroid is used as a label/map-pin position and to look regions up
    # again, so it must land inside the region; contains() also rejects a
    # centroid exactly on the boundary, which would be ambiguous between
    # neighbours.
    if not shp.contains(point):
        point = shp.representative_point()
    # Signed per ring; to_shape orients exteriors counter-clockwise so parts
    # add up and holes subtract, abs() guards against pyproj's convention.
    area_m2, _perimeter = _GEOD.geometry_area_perimeter(shp)
    min_lon, min_lat, max_lon, max_lat = shp.bounds
    return GeometryStats(
        centroid_lat=float(point.y),
        centroid_lon=float(point.x),
        area_km2=abs(float(area_m2)) / _M2_PER_KM2,
        min_lat=float(min_lat),
        min_lon=float(min_lon),
        max_lat=float(max_lat),
        max_lon=float(max_lon),
    )
