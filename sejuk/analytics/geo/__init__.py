"""Django-free geometry helpers for administrative boundaries.

Everything here works on plain GeoJSON dicts in ``[lng, lat]`` order and
returns plain Python values, so it can be used from importers, background
tasks and benchmarks alike. :func:`path_to_geojson` is the single place where
the ``[lat, lng]`` order of the upstream ``wilayah_boundaries`` dumps is
swapped.

Public API
----------
path_to_geojson
    ``[lat, lng]`` JSON text to a GeoJSON Polygon/MultiPolygon dict.
geometry_stats, GeometryStats
    Centroid, geodesic area and bounding box of a geometry.
find_neighbours
    Regions that touch or nearly touch, per code.
PolygonIndex
    Vectorised point-in-polygon lookup of region codes.
haversine_m
    Vectorised great-circle distance in metres.
GeometryError
    Raised for unusable geometries (a :class:`ValueError`).
"""

from __future__ import annotations

from .distance import EARTH_RADIUS_M, haversine_m
from .errors import GeometryError
from .geojson import COORDINATE_DECIMALS, path_to_geojson
from .index import PolygonIndex
from .neighbours import find_neighbours
from .stats import GeometryStats, geometry_stats

__all__ = [
    "COORDINATE_DECIMALS",
    "EARTH_RADIUS_M",
    "GeometryError",
    "GeometryStats",
    "PolygonIndex",
    "find_neighbours",
    "geometry_stats",
    "haversine_m",
    "path_to_geojson",
]
