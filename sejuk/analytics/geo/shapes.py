"""Turning GeoJSON geometry dicts into valid, consistently oriented shapely shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon, shape

from .errors import GeometryError

__all__ = ["to_shape", "to_shapes"]

_AREAL_TYPES = ("Polygon", "MultiPolygon")


def to_shape(geom: Mapping[str, Any]) -> Polygon | MultiPolygon:
    """Build a valid shapely (Multi)Polygon from a GeoJSON geometry dict.

    Parameters
    ----------
    geom : Mapping
        GeoJSON ``Polygon`` or ``MultiPolygon`` geometry in ``[lng, lat]``
        order, e.g. the output of :func:`path_to_geojson`.

    Returns
    -------
    Polygon or MultiPolygon
        A valid shape with counter-clockwise exteriors and clockwise holes.

    Raises
    ------
    GeometryError
        If ``geom`` is not an areal GeoJSON geometry, or nothing with an area
        is left once it has been repaired.

    Notes
    -----
    Self-intersections and overlapping parts are common in the real boundary
    data. They are repaired with :func:`shapely.make_valid` using the
    ``"structure"`` method, which unions overlapping parts; the default
    ``"linework"`` method would instead turn an overlap into a hole.
    Orientation is normalised because pyproj's geodesic area is signed per
    ring, so mixed windings would make parts and holes cancel out.
    """
    if not isinstance(geom, Mapping):
        raise GeometryError(f"geometry must be a GeoJSON dict, got {type(geom).__name__}")
    geom_type = geom.get("type")
    if geom_type not in _AREAL_TYPES:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, got {geom_type!r}")
    try:
        raw = shape(geom)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"invalid {geom_type} coordinates: {exc}") from exc
    return _repair(raw)


def to_shapes(codes: Sequence[str], geoms: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Apply :func:`to_shape` to many geometries.

    Parameters
    ----------
    codes : Sequence of str
        Region codes, only used to say which geometry failed.
    geoms : Sequence of Mapping
        GeoJSON geometries aligned with ``codes``.

    Returns
    -------
    numpy.ndarray
        Object array of shapely shapes, ready for shapely's vectorised API.

    Raises
    ------
    GeometryError
        If a geometry is unusable; the message starts with its code.
    """
    shapes = np.empty(len(geoms), dtype=object)
    for i, (code, geom) in enumerate(zip(codes, geoms, strict=True)):
        try:
            shapes[i] = to_shape(geom)
        except GeometryError as exc:
            raise GeometryError(f"{code}: {exc}") from exc
    return shapes


def _repair(raw: Any) -> Polygon | MultiPolygon:
    if raw.is_empty:
        raise GeometryError("geometry is empty")
    fixed = raw
    if not shapely.is_valid(raw):
        fixed = shapely.make_valid(raw, method="structure", keep_collapsed=False)
    polygons = _polygonal_parts(fixed)
    if not polygons:
        raise GeometryError("geometry has no area left after repairing it with make_valid")
    result = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    return shapely.orient_polygons(result, exterior_cw=False)


def _polygonal_parts(geom: Any) -> list[Polygon]:
    # make_valid may hand back a GeometryCollection; stray points or lines
    # carry no area and would only confuse containment and area figures.
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [part for sub in geom.geoms for part in _polygonal_parts(sub)]
    return []
