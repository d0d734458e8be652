"""Conversion of ``wilayah_boundaries.path`` text into GeoJSON geometries.

The upstream dumps store polygons as JSON arrays of ``[lat, lng]`` pairs,
which is the reverse of the ``[lng, lat]`` order that GeoJSON (RFC 7946),
shapely and every web map library expect. All swapping happens here, once,
so that the rest of the code base only ever sees GeoJSON order.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from .errors import GeometryError

__all__ = ["COORDINATE_DECIMALS", "path_to_geojson"]

#: Seven decimals is ~1.1 cm at the equator: far below survey accuracy of
#: administrative boundaries, while keeping the stored JSON compact.
COORDINATE_DECIMALS = 7

# JSON text made only of these characters can contain nothing but arrays and
# numbers (no strings, booleans, null, objects, NaN or Infinity), which lets
# the common case skip a per-value type check in Python.
_NUMBERS_AND_ARRAYS_ONLY = re.compile(r"[\[\]\s0-9.,eE+\-]*")

_JSON_TYPES = {dict: "object", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_TYPES[type(None)] = "null"

# Beyond this many characters an echo of the input would drown the message.
_SNIPPET_CHARS = 60


def path_to_geojson(path: str) -> dict[str, Any]:
    """Convert a ``[lat, lng]`` JSON polygon text into a GeoJSON geometry.

    Parameters
    ----------
    path : str
        JSON text of the ``path`` column: a list of rings (nesting depth 3,
        a Polygon) or a list of such lists (depth 4, a MultiPolygon). Each
        position is ``[lat, lng]``; rings may be open or closed.

    Returns
    -------
    dict
        ``{"type": "Polygon" | "MultiPolygon", "coordinates": ...}`` with
        ``[lng, lat]`` positions rounded to :data:`COORDINATE_DECIMALS`
        decimals and every ring closed. Ring orientation is kept as in the
        source: consumers disagree on the winding they want (RFC 7946 versus
        d3-geo), and the measuring functions of this package re-orient
        internally anyway.

    Raises
    ------
    GeometryError
        If the text is not JSON, is not nested as a Polygon or MultiPolygon,
        holds a non-numeric or non-finite value, a latitude outside
        [-90, 90] or a longitude outside [-180, 180] (the message says so
        when the pair looks swapped), or a ring that has fewer than four
        positions after closing or fewer than three distinct positions.

    Examples
    --------
    >>> path_to_geojson("[[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]]]")["coordinates"]
    [[[106.0, -6.0], [106.1, -6.0], [106.1, -6.1], [106.0, -6.0]]]
    """
    if isinstance(path, bytes | bytearray):
        path = path.decode("utf-8")
    if not isinstance(path, str):
        raise GeometryError(f"path must be JSON text (str), got {type(path).__name__}")
    try:
        data = json.loads(path, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GeometryError(
            f"path is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): "
            f"{_snippet(path)}"
        ) from None
    if not isinstance(data, list):
        raise GeometryError(
            f"path must be a JSON array of [lat, lng] rings, got {_JSON_TYPES.get(type(data))}: "
            f"{_snippet(path)}"
        )
    typed = _NUMBERS_AND_ARRAYS_ONLY.fullmatch(path) is not None

    depth = _nesting_depth(data)
    if depth == 3:
        return {"type": "Polygon", "coordinates": _polygon(data, "", typed)}
    if depth == 4:
        polygons = [_polygon(part, f"polygon {i}, ", typed) for i, part in enumerate(data)]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise GeometryError(
        f"path must be nested 3 deep (Polygon: rings of [lat, lng] pairs) or 4 deep "
        f"(MultiPolygon: list of polygons), got nesting depth {depth}: {_snippet(path)}"
    )


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN/Infinity although JSON does not; a NaN vertex
    # would silently poison every area and containment test downstream.
    raise GeometryError(f"path contains the non-finite value {name}")


def _snippet(text: str) -> str:
    text = text.strip()
    if len(text) <= _SNIPPET_CHARS:
        return repr(text)
    return repr(text[:_SNIPPET_CHARS]) + "..."


def _nesting_depth(data: Any) -> int:
    """Return the list depth above the first scalar, following first items."""
    depth = 0
    while isinstance(data, list):
        if not data:
            raise GeometryError(f"path contains an empty array at nesting depth {depth + 1}")
        depth += 1
        data = data[0]
    return depth


def _polygon(rings: Any, where: str, typed: bool) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise GeometryError(f"{where or 'polygon'}: expected a non-empty array of rings")
    return [_ring(ring, f"{where}ring {i}", typed) for i, ring in enumerate(rings)]


def _ring(ring: Any, where: str, typed: bool) -> list[list[float]]:
    if not isinstance(ring, list) or not ring:
        raise GeometryError(f"{where}: expected a non-empty array of [lat, lng] pairs")
    if not typed:
        # Only reached when the text holds a non-number token somewhere;
        # numpy would happily turn "106.8" or true into floats.
        _check_point_types(ring, where)
    try:
        latlng = np.array(ring, dtype=np.float64)
    except (ValueError, TypeError):
        latlng = None
    if latlng is None or latlng.ndim != 2 or latlng.shape[1] != 2:
        _check_point_types(ring, where)
        # _check_point_types accepts every well-formed ring, so reaching this
        # line means the structure is wrong in a way it does not describe.
        raise GeometryError(f"{where}: expected an array of [lat, lng] pairs")  # pragma: no cover
    _check_ranges(latlng, where)

    lnglat = np.round(latlng[:, ::-1], COORDINATE_DECIMALS)
    # Close after rounding so first and last positions are bit-identical,
    # which is what GeoJSON consumers compare.
    if not np.array_equal(lnglat[0], lnglat[-1]):
        lnglat = np.vstack([lnglat, lnglat[:1]])
    if len(lnglat) < 4:
        raise GeometryError(
            f"{where}: a ring needs at least 4 positions after closing, got {len(lnglat)}"
        )
    if len(np.unique(lnglat[:-1], axis=0)) < 3:
        raise GeometryError(f"{where}: ring has fewer than 3 distinct positions (no area)")
    return lnglat.tolist()


def _check_point_types(ring: list[Any], where: str) -> None:
    for j, point in enumerate(ring):
        if not isinstance(point, list) or len(point) != 2:
            raise GeometryError(
                f"{where}, point {j}: expected a [lat, lng] pair, got {_describe(point)}"
            )
        for label, value in zip(("latitude", "longitude"), point, strict=True):
            # bool is an int subclass, but true/false in a coordinate is a bug.
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise GeometryError(
                    f"{where}, point {j}: {label} is not a number, got {_describe(value)}"
                )


def _check_ranges(latlng: np.ndarray, where: str) -> None:
    lat, lng = latlng[:, 0], latlng[:, 1]
    # json turns literals such as 1e999 into inf without complaint.
    bad = ~np.isfinite(latlng).all(axis=1)
    if bad.any():
        j = int(np.argmax(bad))
        raise GeometryError(f"{where}, point {j}: non-finite coordinate {latlng[j].tolist()}")
    bad = (np.abs(lat) > 90.0) | (np.abs(lng) > 180.0)
    if not bad.any():
        return
    j = int(np.argmax(bad))
    a, b = float(lat[j]), float(lng[j])
    if abs(a) > 90.0:
        message = f"{where}, point {j}: latitude {a} is outside [-90, 90]"
    else:
        message = f"{where}, point {j}: longitude {b} is outside [-180, 180]"
    if abs(a) <= 180.0 and abs(b) <= 90.0:
        message += "; the pair looks like [lng, lat] but path must be in [lat, lng] order"
    raise GeometryError(message)


def _describe(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    if len(text) > _SNIPPET_CHARS:
        text = text[:_SNIPPET_CHARS] + "..."
    return f"{type(value).__name__} {text}"
